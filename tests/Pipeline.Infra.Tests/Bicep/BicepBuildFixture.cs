// Builds and lints every .bicep file under infra/ once per test run, however many test classes use it (the CLI
// takes seconds to start and a build of main.bicep about ten).
using System.Text.Json;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Bicep;

public sealed class BicepBuildFixture : IAsyncLifetime
{
    private sealed record Outputs(ToolResult Build, ToolResult Lint, IReadOnlyList<string> BicepFiles, string OutDir, JsonElement MainTemplate);

    private static readonly Lazy<Task<Outputs>> Shared = new(BuildOnceAsync);

    private Outputs _outputs = null!;

    public ToolResult Build => _outputs.Build;
    public ToolResult Lint => _outputs.Lint;
    public IReadOnlyList<string> BicepFiles => _outputs.BicepFiles;

    /// <summary>The ARM template compiled from infra/main.bicep (modules inlined as nested deployments).</summary>
    public JsonElement MainTemplate => _outputs.MainTemplate;

    public async Task InitializeAsync() => _outputs = await Shared.Value;

    private static async Task<Outputs> BuildOnceAsync()
    {
        // Kept for the process's lifetime (tests read the compiled files; the build is shared); each run has its own.
        var outDir = new TempDir("pipeline-bicep-");
        var files = Directory.GetFiles(BicepCli.InfraDir, "*.bicep", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(BicepCli.InfraDir, f))
            .Order()
            .ToList();
        var build = await BicepCli.RunAsync("build", "--pattern", "infra/**/*.bicep", "--outdir", outDir.Path);
        var lint = await BicepCli.RunAsync("lint", "--pattern", "infra/**/*.bicep");
        var main = outDir.File("main.json");
        var template = File.Exists(main) ? JsonDocument.Parse(await File.ReadAllTextAsync(main)).RootElement.Clone() : default;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => outDir.Dispose();
        return new Outputs(build, lint, files, outDir.Path, template);
    }

    public string CompiledPath(string bicepRelative) => Path.Combine(_outputs.OutDir, Path.ChangeExtension(bicepRelative, ".json"));

    public Task DisposeAsync() => Task.CompletedTask;
}
