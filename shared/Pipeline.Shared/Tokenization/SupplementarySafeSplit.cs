// Runs a pre-tokeniser regex the way Rust's regex engines do on code points: .NET sees a supplementary-plane letter
// or digit (𝐀, 𠀀, 𝟙) as two surrogates outside \p{L} / \p{N}, so those are swapped for a BMP stand-in of the same
// class ('a' / '0') before matching and the matches mapped back to the original text.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Shared.Tokenization;

internal static class SupplementarySafeSplit
{
    public static bool NeedsMapping(string text) => text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF');

    /// <summary>Pieces of <paramref name="text"/> for an `Isolated` split: matches and the gaps between them.</summary>
    public static List<string> Pieces(Regex regex, string text)
    {
        var (mapped, origin) = Map(text);
        var pieces = new List<string>();
        var at = 0;
        foreach (var m in regex.EnumerateMatches(mapped))
        {
            var start = origin[m.Index];
            var end = origin[m.Index + m.Length];
            if (start > at) pieces.Add(text[at..start]);
            pieces.Add(text[start..end]);
            at = end;
        }
        if (at < text.Length) pieces.Add(text[at..]);
        return pieces;
    }

    /// <returns>The mapped text and, for each of its char positions (plus the end), the position in the original.</returns>
    private static (string Mapped, int[] Origin) Map(string text)
    {
        var mapped = new StringBuilder(text.Length);
        var origin = new List<int>(text.Length + 1);
        var i = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.IsBmp)
            {
                mapped.Append((char)rune.Value);
                origin.Add(i);
            }
            else
            {
                var stand = Rune.GetUnicodeCategory(rune) switch
                {
                    UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                        or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => 'a',
                    UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => '0',
                    _ => '\0',
                };
                if (stand != '\0')
                {
                    mapped.Append(stand);
                    origin.Add(i);
                }
                else
                {
                    mapped.Append(text, i, 2);
                    origin.Add(i);
                    origin.Add(i + 1);
                }
            }
            i += rune.Utf16SequenceLength;
        }
        origin.Add(text.Length);
        return (mapped.ToString(), [.. origin]);
    }
}
