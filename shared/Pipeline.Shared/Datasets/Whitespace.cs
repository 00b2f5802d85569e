// Whitespace normalisation for the identical_pair check: trim and treat every run of whitespace as one space.
namespace Pipeline.Shared.Datasets;

internal static class Whitespace
{
    public static bool SameText(IReadOnlyList<ChatMessage> a, IReadOnlyList<ChatMessage> b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
            if (a[i].Role != b[i].Role || !Same(a[i].Content, b[i].Content)) return false;
        return true;
    }

    /// <summary>Equal after trimming and collapsing whitespace runs, compared without allocating.</summary>
    internal static bool Same(string a, string b)
    {
        int i = Skip(a, 0), j = Skip(b, 0);
        while (i < a.Length && j < b.Length)
        {
            bool wa = char.IsWhiteSpace(a[i]), wb = char.IsWhiteSpace(b[j]);
            if (wa || wb)
            {
                if (!(wa && wb)) return false;
                i = Skip(a, i);
                j = Skip(b, j);
                continue;
            }
            if (a[i] != b[j]) return false;
            i++;
            j++;
        }
        return Skip(a, i) == a.Length && Skip(b, j) == b.Length;
    }

    private static int Skip(string s, int from)
    {
        while (from < s.Length && char.IsWhiteSpace(s[from])) from++;
        return from;
    }
}
