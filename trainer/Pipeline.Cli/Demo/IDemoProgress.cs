// What the demo tells its user as it goes: stages, notes, and the live state of a training run.
namespace Pipeline.Cli.Demo;

public interface IDemoProgress
{
    /// <summary>A new stage starts (e.g. "Ingest file 1").</summary>
    void Stage(string title);

    /// <summary>One line of detail under the current stage.</summary>
    void Note(string message);

    /// <summary>The latest state of a training run, read from its status.json while it runs.</summary>
    void Training(DemoTrainingState state);
}

/// <param name="Phase">The run's status (queued, running, succeeded, failed, rejected).</param>
/// <param name="Eta">Estimated time left, when the worker reported one.</param>
public sealed record DemoTrainingState(string RunId, string Phase, int Step, int TotalSteps, double? Loss, TimeSpan? Eta);

/// <summary>Collects what the demo reported (the end-to-end test and a non-interactive run use it).</summary>
public sealed class RecordingProgress : IDemoProgress
{
    private readonly List<string> _lines = [];
    private readonly List<DemoTrainingState> _training = [];

    public IReadOnlyList<string> Lines { get { lock (_lines) return [.. _lines]; } }
    public IReadOnlyList<DemoTrainingState> TrainingStates { get { lock (_training) return [.. _training]; } }

    public void Stage(string title) { lock (_lines) _lines.Add("== " + title); }
    public void Note(string message) { lock (_lines) _lines.Add(message); }
    public void Training(DemoTrainingState state) { lock (_training) _training.Add(state); }
}
