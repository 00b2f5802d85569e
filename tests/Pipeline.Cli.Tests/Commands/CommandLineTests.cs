using Pipeline.Cli.Commands;

namespace Pipeline.Cli.Tests.Commands;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("validate", "--no-such-option", "x.jsonl")]
    [InlineData("no-such-verb")]
    public async Task Usage_errors_exit_with_code_2(params string[] args)
    {
        Assert.Equal(2, await CommandLine.RunAsync(args));
    }
}
