// What the worker does with a request's message once the coordinator is done with it.
namespace Pipeline.Worker;

public enum RunSettlement
{
    /// <summary>Its run reached a final state (trained, already done, or covered by a written version): remove it.</summary>
    Complete,

    /// <summary>Can never succeed as sent: dead-letter / poison it with the reason.</summary>
    DeadLetter,

    /// <summary>Interrupted or failed transiently: return it now for another attempt (counts as a delivery).</summary>
    Abandon,

    /// <summary>Cannot start yet (debounce window, another worker holds the run): hand it back to come again after
    /// <see cref="RunDisposition.Delay"/>, not counted as a failed delivery.</summary>
    Defer,

    /// <summary>Lost the run's lease or the message mid-run: leave the message to reappear when its hold runs out.</summary>
    Leave,
}

public sealed record RunDisposition(RunSettlement Settlement, string RunId, string Reason, TimeSpan Delay = default)
{
    public static RunDisposition Complete(string runId, string reason) => new(RunSettlement.Complete, runId, reason);
    public static RunDisposition DeadLetter(string runId, string reason) => new(RunSettlement.DeadLetter, runId, reason);
    public static RunDisposition Abandon(string runId, string reason) => new(RunSettlement.Abandon, runId, reason);
    public static RunDisposition Defer(string runId, TimeSpan delay, string reason) => new(RunSettlement.Defer, runId, reason, delay);
    public static RunDisposition Leave(string runId, string reason) => new(RunSettlement.Leave, runId, reason);
}
