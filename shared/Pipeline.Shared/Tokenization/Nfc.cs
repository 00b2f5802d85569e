// Unicode NFC (UAX #15: decompose, order marks by combining class, compose) from generated tables, because
// InvariantGlobalization turns string.Normalize into a no-op; Qwen's tokenizer.json normalises with NFC.
using System.Globalization;
using System.Text;

namespace Pipeline.Shared.Tokenization;

internal static class Nfc
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, int[]> Decompositions = Parse(NfcTables.Decompositions)
        .ToDictionary(r => Hex(r.Key), r => r.Value.Split(' ').Select(Hex).ToArray());

    private static readonly Dictionary<int, int> Classes = Parse(NfcTables.CombiningClasses)
        .ToDictionary(r => Hex(r.Key), r => int.Parse(r.Value, CultureInfo.InvariantCulture));

    private static readonly Dictionary<(int, int), int> Compositions = Parse(NfcTables.Compositions)
        .ToDictionary(r => (Hex(r.Key.Split(' ')[0]), Hex(r.Key.Split(' ')[1])), r => Hex(r.Value));

    // Code points that can change under NFC: they decompose, carry a combining class, or combine with what precedes
    // them (second halves of compositions, Hangul vowel and trailing jamo). Text without them is already NFC.
    private static readonly HashSet<int> Unstable =
    [
        .. Decompositions.Keys, .. Classes.Keys, .. Compositions.Keys.Select(k => k.Item2),
        .. Enumerable.Range(VBase, VCount), .. Enumerable.Range(TBase + 1, TCount - 1),
    ];

    public static string Normalize(string text)
    {
        // Every code point below U+0300 is already in NFC and never combines with what follows.
        if (!text.AsSpan().ContainsAnyExceptInRange('\0', '\u02FF')) return text;
        if (IsStable(text)) return text;
        var cps = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
            Decompose(rune.Value, cps);
        Reorder(cps);
        Compose(cps);
        var sb = new StringBuilder(text.Length);
        foreach (var cp in cps) sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    private static bool IsStable(string text)
    {
        foreach (var rune in text.EnumerateRunes())
            if (rune.Value >= 0x300 && Unstable.Contains(rune.Value))
                return false;
        return true;
    }

    private static void Decompose(int cp, List<int> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            var s = cp - SBase;
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
        }
        else if (Decompositions.TryGetValue(cp, out var d)) output.AddRange(d);
        else output.Add(cp);
    }

    private static int Ccc(int cp) => Classes.GetValueOrDefault(cp);

    // Stable insertion sort inside each run of non-starters.
    private static void Reorder(List<int> cps)
    {
        for (var i = 1; i < cps.Count; i++)
        {
            var c = Ccc(cps[i]);
            if (c == 0) continue;
            for (var j = i; j > 0 && Ccc(cps[j - 1]) > c; j--)
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
        }
    }

    private static void Compose(List<int> cps)
    {
        var starter = -1;
        var lastClass = -1;
        var write = 0;
        for (var read = 0; read < cps.Count; read++)
        {
            var cp = cps[read];
            var c = Ccc(cp);
            if (starter >= 0 && (lastClass < c || lastClass == 0 && write - 1 == starter) && TryCompose(cps[starter], cp, out var composed))
            {
                cps[starter] = composed;
                continue;
            }
            if (c == 0) starter = write;
            lastClass = c;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    private static bool TryCompose(int a, int b, out int composed)
    {
        if (a is >= LBase and < LBase + LCount && b is >= VBase and < VBase + VCount)
        {
            composed = SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
            return true;
        }
        if (a is >= SBase and < SBase + SCount && (a - SBase) % TCount == 0 && b is > TBase and < TBase + TCount)
        {
            composed = a + (b - TBase);
            return true;
        }
        return Compositions.TryGetValue((a, b), out composed);
    }

    private static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private static IEnumerable<KeyValuePair<string, string>> Parse(string table) =>
        table.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(row => row.Split(':'))
            .Select(p => new KeyValuePair<string, string>(p[0], p[1]));
}
