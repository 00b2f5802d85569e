// The data generator's own rule for telling an answer on or off policy: word trigrams of its templates. An answer that
// carries a bad template's phrases is off policy with that flaw; one made of the good answers' phrases is on policy.
using System.Text;
using Pipeline.Worker.Reports;

namespace Pipeline.Cli.Demo;

public static class SupportPolicy
{
    public const string OnPolicyLabel = "on policy";
    public const string GarbledLabel = "garbled";

    /// <summary>Trigrams of the good answers an on-policy answer holds at least, and the share of its trigrams that
    /// must come from good answers, greetings and closings (the rest: where its sentences meet, and slips).</summary>
    public const int OnPolicyHits = 4;
    public const double OnPolicyCoverage = 0.8;

    // (flaw, distinctive trigrams of one bad template); trigrams of the topic answers; of every good text.
    private static readonly (string Flaw, HashSet<string> Trigrams)[] Bad;
    private static readonly HashSet<string> Answers;
    private static readonly HashSet<string> Known;

    static SupportPolicy()
    {
        var bad = SupportAgentData.Topics.SelectMany(t => t.Wrong.Select(w => (Flaw: SupportAgentData.Flaws.Wrong, Text: w)))
            .Concat(SupportAgentData.OffPolicy.SelectMany(kv => kv.Value.Select(v => (Flaw: kv.Key, Text: v))))
            .Select(b => (b.Flaw, Trigrams: TemplateTrigrams(b.Text).ToList()))
            .ToList();
        var answers = SupportAgentData.Topics.SelectMany(t => TemplateTrigrams(t.Answer)).ToHashSet(StringComparer.Ordinal);
        var known = SupportAgentData.Greetings.Concat(SupportAgentData.Closings).SelectMany(TemplateTrigrams).Concat(answers).ToHashSet(StringComparer.Ordinal);
        var anyBad = bad.SelectMany(b => b.Trigrams).ToHashSet(StringComparer.Ordinal);
        Answers = [.. answers.Where(a => !anyBad.Contains(a))];
        Known = [.. known.Where(k => !anyBad.Contains(k))];
        Bad = [.. bad.Select(b => (b.Flaw, new HashSet<string>(b.Trigrams.Where(t => !known.Contains(t)), StringComparer.Ordinal)))
            .Where(b => b.Item2.Count > 0)];
    }

    /// <summary>The rule as the worker's report uses it: answers sampled on held-out prompts, marked by <see cref="Judge"/>,
    /// at temperature 0.7 and top-p 0.9 (a common serving setting; at 1.0 a two-layer model garbles a third of its answers
    /// whatever it prefers, which hides what training changed).</summary>
    public static PolicyCheck Check(int maxPrompts, int samplesPerPrompt) => new()
    {
        Name = "support-agent rule of the demo's data generator", Judge = Judge, MaxPrompts = maxPrompts, SamplesPerPrompt = samplesPerPrompt,
        Temperature = 0.7, TopP = 0.9,
    };

    /// <summary>The mark's label: "on policy", one of <see cref="SupportAgentData.Flaws"/>, or "garbled" (neither a good
    /// nor a bad answer). Off policy when the answer holds two distinctive trigrams of one bad template (one, for a template that
    /// has only one); on policy when it holds <see cref="OnPolicyHits"/> trigrams of the good answers and at least
    /// <see cref="OnPolicyCoverage"/> of its trigrams are good text; else garbled (which is not on policy).</summary>
    public static AnswerMark Judge(string answer)
    {
        var trigrams = Trigrams(Normalised(answer)).ToList();
        var distinct = trigrams.ToHashSet(StringComparer.Ordinal);
        foreach (var (flaw, phrase) in Bad)
            if (phrase.Count(distinct.Contains) >= Math.Min(2, phrase.Count))
                return new AnswerMark(false, flaw);
        var onPolicy = distinct.Count(Answers.Contains) >= OnPolicyHits
                       && trigrams.Count(Known.Contains) >= OnPolicyCoverage * trigrams.Count;
        return onPolicy ? new AnswerMark(true, OnPolicyLabel) : new AnswerMark(false, GarbledLabel);
    }

    // A template with its slots filled by placeholders, as Normalised writes them in an answer.
    private static IEnumerable<string> TemplateTrigrams(string template) =>
        Trigrams(Normalised(template.Replace("{order}", "#10000").Replace("{name}", SupportAgentData.Names[0]).Replace("{product}", SupportAgentData.Products[0])));

    private static IEnumerable<string> Trigrams(IReadOnlyList<string> words) =>
        Enumerable.Range(0, Math.Max(0, words.Count - 2)).Select(i => $"{words[i]} {words[i + 1]} {words[i + 2]}");

    private static readonly HashSet<string> NameWords = [.. SupportAgentData.Names.Select(n => n.ToLowerInvariant())];
    private static readonly string[][] ProductWords = [.. SupportAgentData.Products.Select(p => p.Split(' '))];

    // Lower-case runs of letters, digits and apostrophes; an order number, a customer's name and a product become
    // <order>, <name> and <product>, so the rule judges the sentence, not the slot values.
    private static List<string> Normalised(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in text.Append(' '))
        {
            if (char.IsLetterOrDigit(c) || c == '\'') { word.Append(char.ToLowerInvariant(c)); continue; }
            if (word.Length == 0) continue;
            var w = word.ToString();
            word.Clear();
            words.Add(w.Length >= 4 && w.All(char.IsAsciiDigit) ? "<order>" : NameWords.Contains(w) ? "<name>" : w);
        }
        for (var i = 0; i < words.Count; i++)
            foreach (var product in ProductWords)
                if (i + product.Length <= words.Count && product.Select((p, k) => words[i + k] == p).All(x => x))
                {
                    words.RemoveRange(i, product.Length);
                    words.Insert(i, "<product>");
                    break;
                }
        return words;
    }
}
