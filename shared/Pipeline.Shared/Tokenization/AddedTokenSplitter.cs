// Cuts text around added tokens the way Hugging Face does before the model sees it: leftmost, then longest match,
// with `lstrip` / `rstrip` tokens swallowing the whitespace beside them.
namespace Pipeline.Shared.Tokenization;

internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens) =>
        byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());

    public bool IsEmpty => byFirstChar.Count == 0;

    /// <summary>Calls <paramref name="onText"/> for each plain stretch and <paramref name="onToken"/> for each match, in order.</summary>
    public void Split(string text, Action<string> onText, Action<AddedToken> onToken)
    {
        if (IsEmpty)
        {
            if (text.Length > 0) onText(text);
            return;
        }
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            var match = MatchAt(text, i);
            if (match is null)
            {
                i++;
                continue;
            }
            var textEnd = i;
            if (match.LStrip)
                while (textEnd > start && char.IsWhiteSpace(text[textEnd - 1])) textEnd--;
            if (textEnd > start) onText(text[start..textEnd]);
            onToken(match);
            i += match.Content.Length;
            if (match.RStrip)
                while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            start = i;
        }
        if (start < text.Length) onText(text[start..]);
    }

    private AddedToken? MatchAt(string text, int i)
    {
        if (!byFirstChar.TryGetValue(text[i], out var candidates))
            return null;
        foreach (var t in candidates)
            if (string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) == 0)
                return t;
        return null;
    }
}
