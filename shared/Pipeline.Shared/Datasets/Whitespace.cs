// Whitespace normalisation for the identical_pair check: trim and treat every run of whitespace as one space.
using System.Buffers;
using System.Text;
using Pipeline.Shared.Tokenization;

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

/// <summary>The same rules over UTF-8 bytes (the fast path never decodes to strings): whitespace is what
/// <see cref="char.IsWhiteSpace(char)"/> says, all of it in the BMP, so comparing scalars equals comparing chars.</summary>
internal static class Utf8Whitespace
{
    private static readonly SearchValues<byte> Ascii = SearchValues.Create("\t\n\v\f\r "u8);

    /// <summary>True when the text surely holds a non-whitespace character; false when it is empty, blank, or starts
    /// (after ASCII whitespace) with a non-ASCII whitespace character (left to the string-based check).</summary>
    public static bool SurelyHasText(ReadOnlySpan<byte> s)
    {
        var i = s.IndexOfAnyExcept(Ascii);
        if (i < 0) return false;
        if (s[i] < 0x80) return true;
        Rune.DecodeFromUtf8(s[i..], out var rune, out _);
        return !Rune.IsWhiteSpace(rune);
    }

    /// <summary><see cref="Whitespace.Same"/> over valid UTF-8.</summary>
    public static bool Same(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int i = Skip(a, 0), j = Skip(b, 0);
        while (i < a.Length && j < b.Length)
        {
            var (ra, na) = At(a, i);
            var (rb, nb) = At(b, j);
            bool wa = Rune.IsWhiteSpace(ra), wb = Rune.IsWhiteSpace(rb);
            if (wa || wb)
            {
                if (!(wa && wb)) return false;
                i = Skip(a, i);
                j = Skip(b, j);
                continue;
            }
            if (ra != rb) return false;
            i += na;
            j += nb;
        }
        return Skip(a, i) == a.Length && Skip(b, j) == b.Length;
    }

    private static (Rune Rune, int Bytes) At(ReadOnlySpan<byte> s, int i)
    {
        if (s[i] < 0x80) return (new Rune(s[i]), 1);
        Rune.DecodeFromUtf8(s[i..], out var rune, out var n);
        return (rune, n);
    }

    private static int Skip(ReadOnlySpan<byte> s, int from)
    {
        while (from < s.Length)
        {
            var (rune, n) = At(s, from);
            if (!Rune.IsWhiteSpace(rune)) break;
            from += n;
        }
        return from;
    }
}
