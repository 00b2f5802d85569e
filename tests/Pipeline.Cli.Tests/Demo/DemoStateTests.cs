// The demo's local state: a fresh run removes only the demo's own folders and says so; --reuse keeps them.
using Pipeline.Cli.Demo;
using Pipeline.Testing;

namespace Pipeline.Cli.Tests.Demo;

public sealed class DemoStateTests : IDisposable
{
    private readonly TempDir _dir = new("demo-state-");

    public void Dispose() => _dir.Dispose();

    private DemoState WithPreviousRun(out string userFile)
    {
        var state = new DemoState(_dir.Path);
        Directory.CreateDirectory(state.Azurite);
        File.WriteAllText(Path.Combine(state.Azurite, "__azurite_db_blob__.json"), "{}");
        userFile = Path.Combine(state.Root, "notes.txt");
        File.WriteAllText(userFile, "mine");
        return state;
    }

    [Fact]
    public void A_fresh_run_removes_the_previous_runs_folders_keeps_other_files_and_says_so()
    {
        var state = WithPreviousRun(out var userFile);

        var note = state.Prepare(reuse: false);

        Assert.Contains("removed the previous run's state", note);
        Assert.False(Directory.Exists(state.Azurite));
        Assert.True(File.Exists(userFile));
        Assert.True(Directory.Exists(state.Reports));
    }

    [Fact]
    public void A_reuse_run_keeps_the_previous_state_and_says_so()
    {
        var state = WithPreviousRun(out _);

        var note = state.Prepare(reuse: true);

        Assert.Contains("reusing", note);
        Assert.True(File.Exists(Path.Combine(state.Azurite, "__azurite_db_blob__.json")));
    }

    [Fact]
    public void Rejects_options_that_would_leave_the_eval_split_empty() =>
        Assert.Throws<ArgumentException>(() => new DemoOptions { StateDir = "s", RepoRoot = ".", PairsPerFile = 5 }.Validated());
}
