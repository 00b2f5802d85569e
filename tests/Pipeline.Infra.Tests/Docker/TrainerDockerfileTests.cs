// infra/trainer.Dockerfile: what it copies and builds exists, the CUDA switch is passed, and the runtime stage is a
// non-root CUDA image that runs `pipeline worker` with a health check and SIGTERM. (docker build is not run here.)
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Docker;

public sealed class TrainerDockerfileTests
{
    private static readonly Dockerfile Image = Dockerfile.Parse(Path.Combine(RepoPaths.Root, "infra", "trainer.Dockerfile"));

    [Fact]
    public void Builds_on_the_dotnet_10_sdk_and_runs_on_a_cuda_runtime_base()
    {
        Assert.True(Image.Stages.Count >= 2, "multi-stage");
        Assert.Equal("mcr.microsoft.com/dotnet/sdk:10.0", Image.Stages[0].Image);
        Assert.StartsWith("nvidia/cuda:", Image.Final.Image);
        Assert.Contains("runtime", Image.Final.Image);
        Assert.Contains(Image.Final.Copies, c => c.Sources.Contains("/usr/share/dotnet"));
    }

    [Fact]
    public void Every_copy_source_from_the_build_context_exists_in_the_repository()
    {
        var copies = Image.Stages.SelectMany(s => s.Copies).Where(c => c.From is null).ToList();

        Assert.NotEmpty(copies);
        foreach (var copy in copies)
        foreach (var source in copy.Sources)
            Assert.True(File.Exists(Path.Combine(RepoPaths.Root, source)) || Directory.Exists(Path.Combine(RepoPaths.Root, source)),
                $"trainer.Dockerfile line {copy.Line}: COPY source '{source}' does not exist in the repository");
    }

    [Fact]
    public void Copies_from_other_stages_name_stages_that_exist()
    {
        var names = Image.Stages.Select(s => s.Name).OfType<string>().ToHashSet();

        foreach (var copy in Image.Stages.SelectMany(s => s.Copies).Where(c => c.From is not null))
            Assert.True(names.Contains(copy.From!), $"line {copy.Line}: --from={copy.From} is not a stage");
    }

    [Fact]
    public void Restore_and_publish_use_the_cuda_libtorch_on_projects_that_exist()
    {
        var runs = Image.Stages[0].All("RUN").Where(r => r.Arguments.Contains("dotnet ")).ToList();

        Assert.Contains(runs, r => r.Arguments.Contains("dotnet restore"));
        Assert.Contains(runs, r => r.Arguments.Contains("dotnet publish"));
        foreach (var run in runs)
        {
            Assert.Contains("-p:TorchDevice=cuda", run.Arguments);
            foreach (Match project in Regex.Matches(run.Arguments, @"[\w./-]+\.csproj"))
                Assert.True(File.Exists(Path.Combine(RepoPaths.Root, project.Value)), $"line {run.Line}: {project.Value} does not exist");
        }
    }

    [Fact]
    public void Publish_restores_for_its_own_runtime_identifier_and_device()
    {
        // A restore made elsewhere (a host obj/ for CPU without a runtime identifier) must never be what publish uses.
        var publish = Assert.Single(Image.Stages[0].All("RUN"), r => r.Arguments.Contains("dotnet publish"));

        Assert.DoesNotContain("--no-restore", publish.Arguments);
        Assert.Contains("-r linux-x64", publish.Arguments);
        Assert.Contains("-p:TorchDevice=cuda", publish.Arguments);
    }

    [Fact]
    public void Runs_the_worker_executable_as_a_non_root_user()
    {
        var worker = XDocument.Load(Path.Combine(RepoPaths.Root, "trainer", "Pipeline.Worker", "Pipeline.Worker.csproj"));
        var assemblyName = worker.Descendants("AssemblyName").Single().Value;

        var entry = Dockerfile.ExecForm(Assert.Single(Image.Final.All("ENTRYPOINT")));
        Assert.Equal([$"/app/{assemblyName}"], entry);

        var user = Assert.Single(Image.Final.All("USER"));
        Assert.DoesNotMatch(@"^(root|0)(:|$)", user.Arguments);
        Assert.True(user.Line < Image.Final.All("ENTRYPOINT").Single().Line, "USER must come before ENTRYPOINT");
    }

    [Fact]
    public void Has_a_health_check_and_stops_on_sigterm()
    {
        Assert.Contains(" CMD ", " " + Assert.Single(Image.Final.All("HEALTHCHECK")).Arguments + " ");
        Assert.Equal("SIGTERM", Assert.Single(Image.Final.All("STOPSIGNAL")).Arguments);
    }
}
