// azure.yaml (azd): it points at infra/main.bicep and the Functions project, and its hooks use only values that the
// template outputs or that the hooks set themselves.
using System.Text.RegularExpressions;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Docker;

public sealed class AzureYamlTests
{
    private static readonly Dictionary<string, object?> Azd = MiniYaml.Parse(Path.Combine(RepoPaths.Root, "azure.yaml"));

    private static Dictionary<string, object?> Map(object? node) => Assert.IsType<Dictionary<string, object?>>(node);

    [Fact]
    public void Points_at_the_bicep_entry_point_and_the_functions_project()
    {
        var infra = Map(Azd["infra"]);
        Assert.Equal("bicep", infra["provider"]);
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, (string)infra["path"]!, (string)infra["module"]! + ".bicep")));

        var functions = Map(Map(Azd["services"])["functions"]);
        Assert.Equal("function", functions["host"]);
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Root, (string)functions["project"]!)));
    }

    [Fact]
    public void Hooks_read_only_template_outputs_azd_values_or_their_own_settings()
    {
        var main = File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "main.bicep"));
        var outputs = Regex.Matches(main, @"^output (\w+) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        var own = new HashSet<string> { "DEPLOY_FUNCTIONS", "DEPLOY_BLOB_SUBSCRIPTION", "SKIP_TRAINER_BUILD" };

        var scripts = Map(Azd["hooks"]).Values.Select(h => (string)Map(h)["run"]!).ToList();
        Assert.Contains(scripts, s => s.Contains("infra/trainer.Dockerfile"));
        foreach (var script in scripts)
        foreach (Match m in Regex.Matches(script, @"\$\{?([A-Z][A-Z0-9_]+)"))
            Assert.True(outputs.Contains(m.Groups[1].Value) || own.Contains(m.Groups[1].Value),
                $"azure.yaml hook reads ${m.Groups[1].Value}, which main.bicep does not output");
    }
}
