// CI gate for infra/: every Bicep file compiles and lints with zero diagnostics under infra/bicepconfig.json.
using System.Text.Json;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Bicep;

public sealed class BicepLintTests(BicepBuildFixture bicep) : IClassFixture<BicepBuildFixture>
{
    private static readonly string[] SecurityRules =
    [
        "adminusername-should-not-be-literal", "outputs-should-not-contain-secrets", "protect-commandtoexecute-secrets",
        "secure-parameter-default", "secure-params-in-nested-deploy", "secure-secrets-in-params",
        "use-secure-value-for-secure-inputs", "no-hardcoded-env-urls",
    ];

    [Fact]
    public void Infra_holds_main_and_its_modules()
    {
        Assert.Contains("main.bicep", bicep.BicepFiles);
        Assert.True(bicep.BicepFiles.Count(f => f.StartsWith("modules" + Path.DirectorySeparatorChar)) >= 8,
            "modules: " + string.Join(", ", bicep.BicepFiles));
    }

    [Fact]
    public void Every_bicep_file_builds_without_errors_or_warnings()
    {
        Assert.True(bicep.Build.ExitCode == 0, bicep.Build.Output);
        Assert.Equal("", bicep.Build.Output);
        foreach (var file in bicep.BicepFiles)
            Assert.True(File.Exists(bicep.CompiledPath(file)), $"no ARM template for {file}");
    }

    [Fact]
    public void Every_bicep_file_lints_without_a_single_diagnostic()
    {
        Assert.True(bicep.Lint.ExitCode == 0, bicep.Lint.Output);
        Assert.Equal("", bicep.Lint.Output);
    }

    [Fact]
    public void Bicepconfig_turns_every_security_rule_into_an_error()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(BicepCli.InfraDir, "bicepconfig.json")));
        var rules = config.RootElement.GetProperty("analyzers").GetProperty("core").GetProperty("rules");

        foreach (var rule in SecurityRules)
            Assert.True(rules.TryGetProperty(rule, out var r) && r.GetProperty("level").GetString() == "error", $"{rule} is not an error");
    }

    [Fact]
    public async Task Linter_under_this_config_fails_a_template_that_outputs_a_secret()
    {
        using var dir = new TempDir("pipeline-bicep-bad-");
        var bad = dir.File("bad.bicep");
        await File.WriteAllTextAsync(bad, """
            @secure()
            param adminPassword string
            output adminPassword string = adminPassword
            """);

        var lint = await BicepCli.RunAsync("lint", bad, "--config", Path.Combine(BicepCli.InfraDir, "bicepconfig.json"));

        Assert.NotEqual(0, lint.ExitCode);
        Assert.Contains("outputs-should-not-contain-secrets", lint.Output);
    }
}
