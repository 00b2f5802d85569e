// What happens to a pair longer than max_length: cut to fit (the default; TRL-style keys max_prompt_length,
// max_completion_length, truncation_mode) or dropped and counted ("drop").
namespace Pipeline.Training.Data;

/// <param name="DropOverlong">Drop every pair over max_length instead of cutting it.</param>
/// <param name="MaxPromptLength">Prompt tokens kept (BOS included) whenever the prompt is longer, as TRL's max_prompt_length.</param>
/// <param name="MaxCompletionLength">Completion tokens kept (EOS included) whenever a completion is longer.</param>
/// <param name="KeepStart">TRL truncation_mode keep_start: a cut prompt loses its end (before the assistant header), not its start.</param>
/// <param name="CutCompletions">False: only the prompt is cut; a pair whose completions alone are too long is dropped.</param>
/// <param name="MinCompletionTokens">Completion tokens a cut pair keeps at least; a pair that cannot is dropped.</param>
public sealed record OverlongPolicy(
    bool DropOverlong,
    int? MaxPromptLength = null,
    int? MaxCompletionLength = null,
    bool KeepStart = false,
    bool CutCompletions = true,
    int MinCompletionTokens = 4)
{
    /// <summary>Pairs over max_length are dropped and counted.</summary>
    public static OverlongPolicy Drop { get; } = new(DropOverlong: true);

    /// <summary>Pairs over max_length lose prompt tokens from the left, then completion tokens from the right.</summary>
    public static OverlongPolicy Truncate { get; } = new(DropOverlong: false);

    /// <summary>Only prompt tokens are cut (the former truncate_prompt).</summary>
    public static OverlongPolicy TruncatePrompt { get; } = new(DropOverlong: false, CutCompletions: false);
}
