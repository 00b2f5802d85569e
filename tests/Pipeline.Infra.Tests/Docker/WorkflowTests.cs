// .github/workflows/azure-dev.yml: the deployment workflow `azd pipeline config` expects (federated credentials,
// `azd provision` then `azd deploy`), gated on lint and tests, with every value the deployment needs.
using System.Text.Json;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Docker;

public sealed class WorkflowTests
{
    private static readonly Dictionary<string, object?> Workflow = MiniYaml.Parse(Path.Combine(RepoPaths.Root, ".github", "workflows", "azure-dev.yml"));

    private static Dictionary<string, object?> Map(object? node) => Assert.IsType<Dictionary<string, object?>>(node);
    private static Dictionary<string, object?> Job(string name) => Map(Map(Workflow["jobs"])[name]);
    private static List<Dictionary<string, object?>> Steps(string job) => ((List<object?>)Job(job)["steps"]!).Select(Map).ToList();
    private static string Run(Dictionary<string, object?> step) => step.GetValueOrDefault("run") as string ?? "";

    [Fact]
    public void Uses_federated_credentials_and_no_secret()
    {
        Assert.Equal("write", Map(Workflow["permissions"])["id-token"]);
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, ".github", "workflows", "azure-dev.yml"));
        Assert.DoesNotContain("secrets.", text);

        var steps = Steps("deploy");
        Assert.Contains(steps, s => Run(s).Contains("azd auth login") && Run(s).Contains("--federated-credential-provider \"github\""));
        var azLogin = Assert.Single(steps, s => (s.GetValueOrDefault("uses") as string ?? "").StartsWith("azure/login@"));
        Assert.Equal("${{ vars.AZURE_CLIENT_ID }}", Map(azLogin["with"])["client-id"]);
    }

    [Fact]
    public void Deploys_only_after_lint_and_tests_pass_provision_before_deploy()
    {
        Assert.Contains(Steps("test"), s => Run(s).Trim() == "./run test");
        Assert.Equal("test", Job("deploy")["needs"]);

        var runs = Steps("deploy").Select(Run).ToList();
        var provision = runs.FindIndex(r => r.Contains("azd provision --no-prompt"));
        var deploy = runs.FindIndex(r => r.Contains("azd deploy --no-prompt"));
        Assert.True(provision >= 0 && deploy > provision, "azd provision must run, then azd deploy");
    }

    [Fact]
    public void Gives_azd_every_value_main_bicep_has_no_default_for()
    {
        var env = Map(Job("deploy")["env"]);
        using var parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "main.parameters.json")));
        var azdOwn = new HashSet<string> { "AZURE_PRINCIPAL_ID" }; // azd fills it from the signed-in principal

        foreach (var p in parameters.RootElement.GetProperty("parameters").EnumerateObject())
        {
            var value = p.Value.GetProperty("value").GetString()!;
            var variable = value[2..^1];
            if (variable.Contains('=') || azdOwn.Contains(variable)) continue; // has a default
            Assert.True(env.ContainsKey(variable), $"parameter {p.Name} reads ${{{variable}}}, which the deploy job does not set");
        }
        foreach (var name in new[] { "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "ALERT_EMAIL", "BUDGET_START_DATE" })
            Assert.Equal($"${{{{ vars.{name} }}}}", env[name]);
    }
}
