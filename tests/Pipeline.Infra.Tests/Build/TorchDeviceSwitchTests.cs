// The MSBuild property TorchDevice picks the LibTorch package of the worker (the container image's program): checked by evaluating the project
// (`dotnet msbuild -getItem`), since the CUDA package is not restorable here.
using System.Text.Json;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Build;

public sealed class TorchDeviceSwitchTests
{
    private static async Task<IReadOnlyList<string>> PackageReferences(params string[] properties)
    {
        var args = new List<string> { "msbuild", Path.Combine("trainer", "Pipeline.Worker", "Pipeline.Worker.csproj"), "-getItem:PackageReference" };
        args.AddRange(properties.Select(p => "-p:" + p));
        var result = await ToolRun.RunAsync("dotnet", args, RepoPaths.Root, TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.Output);

        using var json = JsonDocument.Parse(result.StandardOutput);
        return json.RootElement.GetProperty("Items").GetProperty("PackageReference").EnumerateArray()
            .Select(i => i.GetProperty("Identity").GetString()!)
            .ToList();
    }

    [Fact]
    public async Task Cuda_device_references_the_cuda_torchsharp_package_and_not_the_cpu_libtorch()
    {
        var references = await PackageReferences("TorchDevice=cuda");

        Assert.Contains("TorchSharp-cuda-linux", references);
        Assert.DoesNotContain("libtorch-cpu-linux-x64", references);
    }

    [Fact]
    public async Task Default_build_references_the_cpu_libtorch_only()
    {
        var references = await PackageReferences();

        Assert.Contains("libtorch-cpu-linux-x64", references);
        Assert.DoesNotContain("TorchSharp-cuda-linux", references);
    }
}
