// Finds the Bicep CLI that restore downloaded (PackageDownload of Azure.Bicep.CommandLine.linux-x64) and runs it.
using System.Reflection;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Bicep;

public static class BicepCli
{
    public const string PackageId = "azure.bicep.commandline.linux-x64";
    public const string Version = "0.49.2";

    public static string InfraDir => Path.Combine(RepoPaths.Root, "infra");

    /// <summary>Path of tools/bicep in the package folder, made executable if restore left it without the x bit.</summary>
    public static string Executable { get; } = Locate();

    public static Task<ToolResult> RunAsync(params string[] args) =>
        ToolRun.RunAsync(Executable, args, RepoPaths.Root, TimeSpan.FromMinutes(3));

    private static string Locate()
    {
        var roots = new[]
        {
            typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value,
            Environment.GetEnvironmentVariable("NUGET_PACKAGES"),
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        };
        var tried = new List<string>();
        foreach (var root in roots.Where(r => !string.IsNullOrWhiteSpace(r)))
        {
            var path = Path.Combine(root!, PackageId, Version, "tools", "bicep");
            tried.Add(path);
            if (!File.Exists(path)) continue;
            if (!OperatingSystem.IsLinux())
                throw new PlatformNotSupportedException($"{PackageId} holds a Linux binary; this is {Environment.OSVersion}.");
            var mode = File.GetUnixFileMode(path);
            if (!mode.HasFlag(UnixFileMode.UserExecute))
                File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            return path;
        }
        throw new FileNotFoundException(
            $"Bicep CLI not found; restore tests/Pipeline.Infra.Tests (PackageDownload {PackageId} {Version}). Tried: {string.Join(", ", tried)}");
    }
}
