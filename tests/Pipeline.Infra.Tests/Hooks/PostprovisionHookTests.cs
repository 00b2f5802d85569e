// The postprovision hook, sh and pwsh alike, run against stand-in `az`/`azd`: it builds the image from the repository
// root tagged with the build context's hash, only when that tag is new, in the azd environment's subscription and
// resource group, and stops with a clear message when a prerequisite is missing.
using Pipeline.Infra.Tests.Docker;
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Hooks;

public sealed class PostprovisionHookTests : IDisposable
{
    private static readonly string DockerfilePath = Path.Combine(RepoPaths.Root, "infra", "trainer.Dockerfile");
    private static readonly Lazy<string> ExpectedTag = new(() =>
        AcrBuildContext.Pack(RepoPaths.Root, DockerfilePath).ContentTag("infra/trainer.Dockerfile", DockerfilePath));

    private readonly HookRun _hook = new();

    public void Dispose() => _hook.Dispose();

    [Theory]
    [InlineData("sh")]
    [InlineData("pwsh")]
    public async Task Builds_the_image_from_the_repository_root_tagged_with_the_hash_of_the_context_it_sends(string shell)
    {
        var env = HookRun.AzdEnvironment();

        var run = await _hook.RunAsync(shell, "postprovision", env);

        Assert.True(run.ExitCode == 0, run.Output);
        var build = Assert.Single(run.Az("acr build"));
        Assert.Equal(RepoPaths.Root, build.WorkingDirectory);
        Assert.Equal(".", build.Args[^1]);
        Assert.Equal("infra/trainer.Dockerfile", build.Option("--file"));
        Assert.Equal("crtest", build.Option("--registry"));
        Assert.Equal($"trainer:{ExpectedTag.Value}", build.Option("--image"));

        var image = $"crtest.azurecr.io/trainer:{ExpectedTag.Value}";
        var update = Assert.Single(run.Az("containerapp job update"));
        Assert.Equal(image, update.Option("--image"));
        Assert.Equal("orpo-test-trainer", update.Option("--name"));
        Assert.Equal("rg-orpo-test", update.Option("--resource-group"));
        Assert.Equal("yes_without_prompt", update.ExtensionInstall);
        var set = Assert.Single(run.Calls, c => c.Tool == "azd");
        Assert.Equal(["env", "set", "TRAINER_IMAGE", image], set.Args);
    }

    [Theory]
    [InlineData("sh")]
    [InlineData("pwsh")]
    public async Task Every_az_call_names_the_subscription_of_the_azd_environment(string shell)
    {
        var run = await _hook.RunAsync(shell, "postprovision", HookRun.AzdEnvironment());

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.All(run.Calls.Where(c => c.Tool == "az"), c => Assert.Equal("00000000-1111-2222-3333-444444444444", c.Option("--subscription")));
        Assert.True(run.Calls.Count(c => c.Tool == "az") >= 4);
    }

    [Theory]
    [InlineData("sh")]
    [InlineData("pwsh")]
    public async Task An_unchanged_trainer_is_neither_rebuilt_nor_redeployed(string shell)
    {
        var env = HookRun.AzdEnvironment();
        env["STUB_IMAGE_EXISTS"] = "true";
        env["TRAINER_IMAGE"] = $"crtest.azurecr.io/trainer:{ExpectedTag.Value}";

        var run = await _hook.RunAsync(shell, "postprovision", env);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Single(run.Az("acr repository show"));
        Assert.Empty(run.Az("acr build"));
        Assert.Empty(run.Az("containerapp job update"));
        Assert.DoesNotContain(run.Calls, c => c.Tool == "azd");
    }

    [Theory]
    [InlineData("sh")]
    [InlineData("pwsh")]
    public async Task Stops_with_a_clear_message_when_az_is_not_signed_in(string shell)
    {
        var env = HookRun.AzdEnvironment();
        env["STUB_SIGNED_IN"] = "false";

        var run = await _hook.RunAsync(shell, "postprovision", env);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("run 'az login'", run.Output);
        Assert.Empty(run.Az("acr build"));
    }

    [Theory]
    [InlineData("sh")]
    [InlineData("pwsh")]
    public async Task Stops_with_a_clear_message_when_an_azd_environment_value_is_missing(string shell)
    {
        var env = HookRun.AzdEnvironment();
        env.Remove("TRAINER_JOB_NAME");

        var run = await _hook.RunAsync(shell, "postprovision", env);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("TRAINER_JOB_NAME is not in the azd environment", run.Output);
        Assert.Empty(run.Calls);
    }

    [Theory]
    [InlineData("sh")]
    [InlineData("pwsh")]
    public async Task Stops_with_a_clear_message_when_the_azure_cli_is_not_installed(string shell)
    {
        Assert.False(File.Exists("/usr/bin/az") || File.Exists("/bin/az"), "precondition: no real az on the hook's PATH");
        using var hook = new HookRun(withAz: false);

        var run = await hook.RunAsync(shell, "postprovision", HookRun.AzdEnvironment());

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("the Azure CLI (az) is not installed", run.Output);
    }

    [Fact]
    public async Task The_provision_nested_in_postdeploy_does_no_image_work()
    {
        var env = HookRun.AzdEnvironment();
        env["SKIP_TRAINER_BUILD"] = "true";

        var run = await _hook.RunAsync("sh", "postprovision", env);

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Calls);
    }
}
