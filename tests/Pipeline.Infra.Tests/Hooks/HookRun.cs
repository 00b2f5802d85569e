// Runs an azd hook script (sh or pwsh) as azd would, with the azd environment's values as variables, against stand-ins
// for `az` and `azd` on PATH that record every call (working directory, variables they were given, arguments).
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Hooks;

public sealed record ToolCall(string Tool, string WorkingDirectory, string ExtensionInstall, string SkipBuild, IReadOnlyList<string> Args)
{
    public string Command => string.Join(' ', Args.TakeWhile(a => !a.StartsWith('-')));

    /// <summary>The value after <paramref name="flag"/>, or null.</summary>
    public string? Option(string flag) => Args.SkipWhile(a => a != flag).Skip(1).FirstOrDefault();
}

public sealed record HookResult(int ExitCode, string Output, IReadOnlyList<ToolCall> Calls)
{
    public IEnumerable<ToolCall> Az(string command) => Calls.Where(c => c.Tool == "az" && c.Command == command);
}

public sealed class HookRun : IDisposable
{
    private const string Stub = """
        #!/bin/sh
        # Stand-in that records its call and answers as the test tells it.
        { printf '%s\t%s\t%s\t%s' "$(basename "$0")" "$PWD" "${AZURE_EXTENSION_USE_DYNAMIC_INSTALL:-}" "${SKIP_TRAINER_BUILD:-}"
          for a in "$@"; do printf '\t%s' "$a"; done; printf '\n'; } >> "$STUB_LOG"
        [ "$(basename "$0")" = az ] || exit 0
        case "$1 $2" in
          "account show") [ "${STUB_SIGNED_IN:-true}" = true ] || { echo "Please run 'az login' to setup account." >&2; exit 1; } ;;
          "acr repository") [ "${STUB_IMAGE_EXISTS:-false}" = true ] || { echo "manifest unknown" >&2; exit 3; } ;;
        esac
        exit 0
        """;

    private static readonly string[] Inherited =
    [
        .. AzdEnvironment().Keys, "DEPLOY_FUNCTIONS", "DEPLOY_BLOB_SUBSCRIPTION", "SKIP_TRAINER_BUILD", "BUDGET_START_DATE",
        "AZURE_EXTENSION_USE_DYNAMIC_INSTALL", "STUB_SIGNED_IN", "STUB_IMAGE_EXISTS",
    ];

    private readonly TempDir _dir = new();

    public HookRun(bool withAz = true)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("the hook stand-ins are sh scripts");
        Directory.CreateDirectory(_dir.File("bin"));
        foreach (var tool in withAz ? new[] { "az", "azd" } : ["azd"])
        {
            File.WriteAllText(_dir.File($"bin/{tool}"), Stub.Replace("\r\n", "\n") + "\n");
            File.SetUnixFileMode(_dir.File($"bin/{tool}"), (UnixFileMode)0b111_101_101);
        }
        Directory.CreateDirectory(_dir.File("elsewhere"));
    }

    /// <summary>What `azd provision` puts in a hook's environment after a deployment (values are the test's own).</summary>
    public static Dictionary<string, string?> AzdEnvironment() => new()
    {
        ["AZURE_ENV_NAME"] = "orpo-test",
        ["AZURE_SUBSCRIPTION_ID"] = "00000000-1111-2222-3333-444444444444",
        ["AZURE_RESOURCE_GROUP"] = "rg-orpo-test",
        ["AZURE_CONTAINER_REGISTRY_NAME"] = "crtest",
        ["AZURE_CONTAINER_REGISTRY_ENDPOINT"] = "crtest.azurecr.io",
        ["TRAINER_JOB_NAME"] = "orpo-test-trainer",
        ["TRAINER_IMAGE"] = "mcr.microsoft.com/k8se/quickstart-jobs:latest",
    };

    /// <summary>Runs infra/hooks/{name}.sh with sh or {name}.ps1 with pwsh, from a folder other than the repository.</summary>
    public async Task<HookResult> RunAsync(string shell, string name, IDictionary<string, string?> environment)
    {
        var log = _dir.File("calls.log");
        File.WriteAllText(log, "");
        // Only what the test gives: whatever of these the test process itself has is removed.
        var env = Inherited.ToDictionary(n => n, n => environment.TryGetValue(n, out var v) ? v : null);
        foreach (var (key, value) in environment) env[key] = value;
        env["PATH"] = _dir.File("bin") + ":/usr/bin:/bin";
        env["STUB_LOG"] = log;
        env["HOME"] = _dir.Path;
        var script = Path.Combine(RepoPaths.Root, "infra", "hooks", name + (shell == "sh" ? ".sh" : ".ps1"));
        var result = shell == "sh"
            ? await ToolRun.RunAsync("sh", [script], _dir.File("elsewhere"), TimeSpan.FromMinutes(1), env)
            : await ToolRun.RunAsync("dotnet", [Pwsh.Dll, "-NoProfile", "-NonInteractive", "-File", script], _dir.File("elsewhere"), TimeSpan.FromMinutes(1), env);
        var calls = File.ReadAllLines(log).Select(line => line.Split('\t'))
            .Select(f => new ToolCall(f[0], f[1], f[2], f[3], f[4..])).ToList();
        return new HookResult(result.ExitCode, result.Output, calls);
    }

    public void Dispose() => _dir.Dispose();
}
