// The preprovision, predeploy and postdeploy hooks, sh and pwsh alike: the budget's start month is pinned once, the
// Event Grid subscription is provisioned once the function is live (without rebuilding the image), and
// DEPLOY_FUNCTIONS=false stops `azd deploy` with what to run instead.
namespace Pipeline.Infra.Tests.Hooks;

public sealed class DeployHookTests : IDisposable
{
    private readonly HookRun _hook = new();

    public void Dispose() => _hook.Dispose();

    [Theory]
    [InlineData("sh")]
    [InlineData("pwsh")]
    public async Task Preprovision_pins_the_budget_start_to_this_month_once(string shell)
    {
        var env = HookRun.AzdEnvironment();

        var first = await _hook.RunAsync(shell, "preprovision", env);
        env["BUDGET_START_DATE"] = "2026-01-01";
        var later = await _hook.RunAsync(shell, "preprovision", env);

        Assert.True(first.ExitCode == 0, first.Output);
        var set = Assert.Single(first.Calls);
        Assert.Equal(["env", "set", "BUDGET_START_DATE", DateTime.UtcNow.ToString("yyyy-MM-01")], set.Args);
        Assert.Equal(0, later.ExitCode);
        Assert.Empty(later.Calls);
    }

    [Theory]
    [InlineData("sh")]
    [InlineData("pwsh")]
    public async Task Postdeploy_provisions_the_blob_subscription_once_without_an_image_build(string shell)
    {
        var run = await _hook.RunAsync(shell, "postdeploy", HookRun.AzdEnvironment());

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Collection(run.Calls,
            set => Assert.Equal(["env", "set", "DEPLOY_BLOB_SUBSCRIPTION", "true"], set.Args),
            provision =>
            {
                Assert.Equal(["provision", "--no-prompt"], provision.Args);
                Assert.Equal("true", provision.SkipBuild);
            });

        var env = HookRun.AzdEnvironment();
        env["DEPLOY_BLOB_SUBSCRIPTION"] = "true";
        Assert.Empty((await _hook.RunAsync(shell, "postdeploy", env)).Calls);
    }

    [Theory]
    [InlineData("sh")]
    [InlineData("pwsh")]
    public async Task Predeploy_stops_a_deployment_without_a_functions_app_and_says_to_use_azd_provision(string shell)
    {
        var env = HookRun.AzdEnvironment();
        env["DEPLOY_FUNCTIONS"] = "false";

        var stopped = await _hook.RunAsync(shell, "predeploy", env);
        var allowed = await _hook.RunAsync(shell, "predeploy", HookRun.AzdEnvironment());

        Assert.NotEqual(0, stopped.ExitCode);
        Assert.Contains("DEPLOY_FUNCTIONS=false", stopped.Output);
        Assert.Contains("azd provision", stopped.Output);
        Assert.Equal(0, allowed.ExitCode);
    }
}
