// The trainer image's build context as the postprovision hook sends it (`az acr build --file infra/trainer.Dockerfile .`
// from the repository root), packed by the Azure CLI's rules: small, free of host build outputs, complete for the Dockerfile.
using Pipeline.Testing;
using Xunit.Abstractions;

namespace Pipeline.Infra.Tests.Docker;

public sealed class BuildContextTests(ITestOutputHelper output)
{
    /// <summary>Path segments that only a host build, test or demo run leaves in a checkout.</summary>
    private static readonly string[] HostOutputs = ["bin", "obj", "node_modules", ".demo", ".azurite", "TestResults", ".git"];

    /// <summary>The trainer's sources are well under 2 MiB; a context over this has picked up something else.</summary>
    private const long MaxContextBytes = 4L << 20;

    private static readonly string DockerfilePath = Path.Combine(RepoPaths.Root, "infra", "trainer.Dockerfile");

    private static string? HostOutputIn(ContextFile file) =>
        file.Path.Split('/').FirstOrDefault(segment => HostOutputs.Contains(segment));

    private static void AssertSmallAndClean(AcrBuildContext context)
    {
        Assert.Equal(".dockerignore", Path.GetFileName(context.IgnoreFile));
        Assert.All(context.Files, f => Assert.True(HostOutputIn(f) is null, $"{f.Path} ({f.Bytes} bytes) is a host output"));
        Assert.True(context.Bytes < MaxContextBytes,
            $"context is {context.Bytes} bytes in {context.Files.Count} files; largest: " +
            string.Join(", ", context.Files.OrderByDescending(f => f.Bytes).Take(5).Select(f => $"{f.Path} {f.Bytes}")));
    }

    [Fact]
    public void Context_sent_from_this_built_checkout_is_small_and_holds_no_host_build_output()
    {
        // This checkout has been built (these tests run from it): its obj/ and bin/ folders are there to be left out.
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "trainer", "Pipeline.Worker", "obj", "project.assets.json")),
            "precondition: the worker's host restore output exists");

        var context = AcrBuildContext.Pack(RepoPaths.Root, DockerfilePath);
        output.WriteLine($"context: {context.Files.Count} files, {context.Bytes} bytes, {context.CompressedBytes} bytes as .tar.gz");

        AssertSmallAndClean(context);
        Assert.Contains(context.Files, f => f.Path == "trainer/Pipeline.Worker/Pipeline.Worker.csproj");
    }

    [Fact]
    public async Task Context_sent_from_a_checkout_that_ran_the_demo_and_tests_leaves_every_host_output_out()
    {
        using var checkout = new TempDir();
        // The checkout's own files: tracked, plus new ones git does not ignore.
        var tracked = await ToolRun.RunAsync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], RepoPaths.Root, TimeSpan.FromMinutes(1));
        Assert.True(tracked.ExitCode == 0, tracked.Output);
        foreach (var path in tracked.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var source = Path.Combine(RepoPaths.Root, path);
            if (!File.Exists(source)) continue; // deleted in the work tree, not yet committed
            Directory.CreateDirectory(Path.GetDirectoryName(checkout.File(path))!);
            File.Copy(source, checkout.File(path));
        }
        // What `./run test` and `./run demo` leave behind, 1 MiB each (the real ones are gigabytes).
        var planted = new[]
        {
            "node_modules/azurite/dist/src/azurite.js", ".demo/runs/support-bot/run-1/checkpoints/step-000010/model.safetensors",
            ".azurite/__blobstorage__/blob", "trainer/Pipeline.Worker/obj/project.assets.json",
            "trainer/Pipeline.Worker/bin/Release/net10.0/libtorch_cpu.so", "shared/Pipeline.Shared/obj/Release/net10.0/Pipeline.Shared.dll",
            "trainer/Pipeline.Training/bin/Debug/net10.0/Pipeline.Training.dll", "trainer/Pipeline.Worker/TestResults/run.trx",
            "tests/Pipeline.Worker.Tests/bin/Release/net10.0/pipeline-worker.dll",
        };
        foreach (var path in planted)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(checkout.File(path))!);
            await File.WriteAllBytesAsync(checkout.File(path), new byte[1 << 20]);
        }

        var context = AcrBuildContext.Pack(checkout.Path, Path.Combine(checkout.Path, "infra", "trainer.Dockerfile"));

        AssertSmallAndClean(context);
        Assert.DoesNotContain(context.Files, f => planted.Contains(f.Path));
    }

    [Fact]
    public async Task Context_holds_every_tracked_file_under_each_source_the_dockerfile_copies()
    {
        var context = AcrBuildContext.Pack(RepoPaths.Root, DockerfilePath).Files.Select(f => f.Path).ToHashSet();
        var copies = Dockerfile.Parse(DockerfilePath).Stages.SelectMany(s => s.Copies).Where(c => c.From is null).ToList();

        foreach (var source in copies.SelectMany(c => c.Sources).Distinct())
        {
            var files = await ToolRun.RunAsync("git", ["ls-files", "-z", "--", source.TrimEnd('/')], RepoPaths.Root, TimeSpan.FromMinutes(1));
            var tracked = files.StandardOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries)
                .Where(p => File.Exists(Path.Combine(RepoPaths.Root, p))).ToList();
            Assert.True(tracked.Count > 0, $"COPY source {source} has no tracked file");
            foreach (var path in tracked)
                Assert.True(context.Contains(path), $"{path} (COPY {source}) is not in the build context");
        }
    }

    [Fact]
    public void Packing_follows_the_cli_rules_later_rules_win_exceptions_reach_into_ignored_folders_and_slash_rules_match_nothing()
    {
        using var dir = new TempDir();
        foreach (var path in new[] { "keep/a.cs", "keep/bin/b.dll", "keep/sub/c.cs", "drop/d.cs", "top.txt", "slash/e.txt", ".git/HEAD" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir.File(path))!);
            File.WriteAllText(dir.File(path), path);
        }
        File.WriteAllText(dir.File(".dockerignore"), "# comment\n*\n!keep\n**/bin\n!slash/\nslash/\n");
        File.WriteAllText(dir.File("Dockerfile.custom"), "FROM scratch\n");

        var context = AcrBuildContext.Pack(dir.Path, dir.File("Dockerfile.custom"));

        // "slash/" (an ignore rule with a trailing slash) matches nothing, so "!slash/" keeps slash/e.txt.
        Assert.Equal(["keep/a.cs", "keep/sub/c.cs", "slash/e.txt"], context.Files.Select(f => f.Path));
    }

    [Fact]
    public void A_dockerfile_named_ignore_file_at_the_context_root_would_replace_the_root_dockerignore()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.txt"), "a");
        File.WriteAllText(dir.File(".dockerignore"), "*\n");
        File.WriteAllText(dir.File("trainer.Dockerfile.dockerignore"), "b.txt\n");
        Directory.CreateDirectory(dir.File("infra"));
        File.WriteAllText(dir.File("infra/trainer.Dockerfile"), "FROM scratch\n");

        var context = AcrBuildContext.Pack(dir.Path, Path.Combine(dir.Path, "infra", "trainer.Dockerfile"));

        Assert.Equal("trainer.Dockerfile.dockerignore", Path.GetFileName(context.IgnoreFile));
        Assert.Equal(["a.txt", "infra/trainer.Dockerfile", "trainer.Dockerfile.dockerignore"], context.Files.Select(f => f.Path));
        Assert.False(File.Exists(Path.Combine(RepoPaths.Root, "trainer.Dockerfile.dockerignore")), "the root .dockerignore must be the one read");
    }
}
