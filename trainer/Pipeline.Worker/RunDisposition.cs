// What the worker does with a request's message once the coordinator is done with it.
namespace Pipeline.Worker;

public enum RunSettlement
{
    /// <summary>Handled (trained, already done, or a duplicate of a live run): remove the message.</summary>
    Complete,

    /// <summary>Can never succeed as sent: dead-letter / poison it with the reason.</summary>
    DeadLetter,

    /// <summary>Interrupted or failed transiently: return it now for another attempt.</summary>
    Abandon,

    /// <summary>Another worker's lease blocks the run: leave the message to reappear when its hold runs out.</summary>
    Leave,
}

public sealed record RunDisposition(RunSettlement Settlement, string RunId, string Reason)
{
    public static RunDisposition Complete(string runId, string reason) => new(RunSettlement.Complete, runId, reason);
    public static RunDisposition DeadLetter(string runId, string reason) => new(RunSettlement.DeadLetter, runId, reason);
    public static RunDisposition Abandon(string runId, string reason) => new(RunSettlement.Abandon, runId, reason);
    public static RunDisposition Leave(string runId, string reason) => new(RunSettlement.Leave, runId, reason);
}
