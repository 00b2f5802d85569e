// The report's table of held-out pairs: each pair of the run's eval file as a person reads it (the user's message and
// the two answers) with its per-pair evaluation before and after training, and the dataset it came from.
using System.Text.Json;
using Pipeline.Training.Evaluation;

namespace Pipeline.Worker.Reports;

public static class HeldOutPairs
{
    /// <param name="sources">The datasets whose held-out lines make up <paramref name="evalFile"/>, in file order.</param>
    /// <param name="before">Per-pair results of the starting model; <paramref name="after"/> of the trained one.</param>
    public static IReadOnlyList<HeldOutPair> Build(
        string evalFile, IReadOnlyList<HeldOutSource> sources, IReadOnlyList<PairEval> before, IReadOnlyList<PairEval> after)
    {
        var lines = File.ReadAllLines(evalFile);
        var afterByLine = after.ToDictionary(p => p.Line);
        var pairs = new List<HeldOutPair>(before.Count);
        foreach (var b in before)
        {
            if (!afterByLine.TryGetValue(b.Line, out var a)) continue; // both models share the tokenizer: never happens
            var (prompt, chosen, rejected) = Texts(lines[b.Line - 1]);
            pairs.Add(new HeldOutPair(DatasetOf(sources, b.Line), prompt, chosen, rejected, b.ChosenLogps, b.RejectedLogps, a.ChosenLogps, a.RejectedLogps));
        }
        return pairs;
    }

    private static string DatasetOf(IReadOnlyList<HeldOutSource> sources, int line)
    {
        var end = 0;
        foreach (var s in sources)
        {
            end += s.Pairs;
            if (line <= end) return s.DatasetId;
        }
        return sources.Count > 0 ? sources[^1].DatasetId : "";
    }

    /// <summary>The prompt of an eval.jsonl line as the user wrote it: a standard row's string, a conversational row's last message.</summary>
    public static string UserMessage(string line) => Texts(line).Prompt;

    // TRL's standard row (strings) or conversational row (messages): the user's last message and each answer's text.
    private static (string Prompt, string Chosen, string Rejected) Texts(string line)
    {
        using var row = JsonDocument.Parse(line);
        var root = row.RootElement;
        return (Text(root.GetProperty("prompt"), last: true), Text(root.GetProperty("chosen"), last: false), Text(root.GetProperty("rejected"), last: false));
    }

    private static string Text(JsonElement e, bool last) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Array when e.GetArrayLength() > 0 => last
            ? e[e.GetArrayLength() - 1].GetProperty("content").GetString()!
            : string.Join("\n", e.EnumerateArray().Select(m => m.GetProperty("content").GetString())),
        _ => "",
    };
}
