// Builds and lints every .bicep file under infra/ once per test run (the CLI takes seconds to start).
using System.Text.Json;

namespace Pipeline.Infra.Tests.Bicep;

public sealed class BicepBuildFixture : IAsyncLifetime
{
    private readonly string _outDir = Path.Combine(Path.GetTempPath(), "pipeline-bicep-" + Guid.NewGuid().ToString("N"));

    public ToolResult Build { get; private set; } = null!;
    public ToolResult Lint { get; private set; } = null!;
    public IReadOnlyList<string> BicepFiles { get; private set; } = [];

    /// <summary>The ARM template compiled from infra/main.bicep (modules inlined as nested deployments).</summary>
    public JsonElement MainTemplate { get; private set; }

    public async Task InitializeAsync()
    {
        BicepFiles = Directory.GetFiles(BicepCli.InfraDir, "*.bicep", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(BicepCli.InfraDir, f))
            .Order()
            .ToList();
        Build = await BicepCli.RunAsync("build", "--pattern", "infra/**/*.bicep", "--outdir", _outDir);
        Lint = await BicepCli.RunAsync("lint", "--pattern", "infra/**/*.bicep");
        var main = Path.Combine(_outDir, "main.json");
        if (File.Exists(main))
            MainTemplate = JsonDocument.Parse(await File.ReadAllTextAsync(main)).RootElement.Clone();
    }

    public string CompiledPath(string bicepRelative) => Path.Combine(_outDir, Path.ChangeExtension(bicepRelative, ".json"));

    public Task DisposeAsync()
    {
        if (Directory.Exists(_outDir)) Directory.Delete(_outDir, recursive: true);
        return Task.CompletedTask;
    }
}
