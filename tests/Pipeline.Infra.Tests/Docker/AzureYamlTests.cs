// azure.yaml (azd): it points at infra/main.bicep and the Functions project, every hook has an sh script for Linux and
// macOS and a pwsh script for Windows, both parse, and they use only values the template outputs, azd's own or theirs.
using System.Text.RegularExpressions;
using Pipeline.Infra.Tests.Hooks;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Docker;

public sealed class AzureYamlTests
{
    private static readonly Dictionary<string, object?> Azd = MiniYaml.Parse(Path.Combine(RepoPaths.Root, "azure.yaml"));

    private static Dictionary<string, object?> Map(object? node) => Assert.IsType<Dictionary<string, object?>>(node);

    /// <summary>(hook, platform, shell, script path) for every hook in azure.yaml.</summary>
    private static IEnumerable<(string Hook, string Platform, string Shell, string Script)> Hooks() =>
        from hook in Map(Azd["hooks"])
        from platform in Map(hook.Value)
        let entry = Map(platform.Value)
        select (hook.Key, platform.Key, (string)entry["shell"]!, Path.GetFullPath(Path.Combine(RepoPaths.Root, (string)entry["run"]!)));

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
    public void Every_hook_runs_an_sh_script_on_posix_and_a_pwsh_script_on_windows()
    {
        foreach (var hook in Map(Azd["hooks"]))
        {
            var platforms = Map(hook.Value);
            Assert.Equal(["posix", "windows"], platforms.Keys.Order());
            Assert.Equal("sh", Map(platforms["posix"])["shell"]);
            Assert.Equal("pwsh", Map(platforms["windows"])["shell"]);
            Assert.Equal("false", Map(platforms["posix"])["continueOnError"]);
            Assert.Equal("false", Map(platforms["windows"])["continueOnError"]);
        }
        foreach (var (hook, platform, _, script) in Hooks())
        {
            Assert.True(File.Exists(script), $"{hook} ({platform}) runs {script}, which does not exist");
            if (platform == "posix" && !OperatingSystem.IsWindows())
                Assert.True(File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute), $"{script} is not executable");
        }
    }

    [Fact]
    public async Task Every_hook_script_parses()
    {
        foreach (var (_, _, shell, script) in Hooks())
        {
            var check = shell == "sh"
                ? await ToolRun.RunAsync("sh", ["-n", script], RepoPaths.Root, TimeSpan.FromMinutes(1))
                : await ToolRun.RunAsync("dotnet", [Pwsh.Dll, "-NoProfile", "-NonInteractive", "-Command",
                    "$errors = $null; [void][Management.Automation.Language.Parser]::ParseFile($env:HOOK_SCRIPT, [ref]$null, [ref]$errors); " +
                    "$errors | ForEach-Object { $_.ToString() }; exit $errors.Count"], RepoPaths.Root, TimeSpan.FromMinutes(1),
                    new Dictionary<string, string?> { ["HOOK_SCRIPT"] = script });
            Assert.True(check.ExitCode == 0, $"{script}: {check.Output}");
        }
    }

    [Fact]
    public void Hooks_read_only_template_outputs_azd_values_or_their_own_settings()
    {
        var main = File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "main.bicep"));
        var outputs = Regex.Matches(main, @"^output (\w+) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        var azd = new HashSet<string> { "AZURE_ENV_NAME", "AZURE_SUBSCRIPTION_ID" };
        var own = new HashSet<string>
        {
            "DEPLOY_FUNCTIONS", "DEPLOY_BLOB_SUBSCRIPTION", "SKIP_TRAINER_BUILD", "TRAINER_IMAGE", "AZURE_EXTENSION_USE_DYNAMIC_INSTALL",
            "BUDGET_START_DATE",
        };

        var scripts = Hooks().Select(h => h.Script).Distinct().ToList();
        Assert.Contains(scripts, s => File.ReadAllText(s).Contains("infra/trainer.Dockerfile"));
        foreach (var script in scripts)
        {
            var pattern = script.EndsWith(".sh") ? @"\$\{?([A-Z][A-Z0-9_]+)" : @"(?:\$env:|')([A-Z][A-Z0-9_]+)";
            foreach (Match m in Regex.Matches(File.ReadAllText(script), pattern))
                Assert.True(outputs.Contains(m.Groups[1].Value) || azd.Contains(m.Groups[1].Value) || own.Contains(m.Groups[1].Value),
                    $"{Path.GetFileName(script)} reads {m.Groups[1].Value}, which neither main.bicep, azd nor the hooks set");
        }
    }
}
