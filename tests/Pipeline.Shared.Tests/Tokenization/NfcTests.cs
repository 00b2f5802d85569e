// NFC against Python's unicodedata (expected code points below were printed by `unicodedata.normalize('NFC', s)`).
using Pipeline.Shared.Tokenization;

namespace Pipeline.Shared.Tests.Tokenization;

public sealed class NfcTests
{
    [Theory]
    [InlineData("e\u0301", "\u00E9")]                  // base + combining acute composes
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]       // Hangul jamo L V T compose algorithmically
    [InlineData("a\u0302\u0323", "\u1EAD")]            // marks reordered by combining class, then composed
    [InlineData("\u212B", "\u00C5")]                   // singleton decomposition (Angstrom sign)
    [InlineData("\u0958x", "\u0915\u093Cx")]           // composition exclusion stays decomposed
    [InlineData("q\u0307\u0323", "q\u0323\u0307")]     // no composite: only reordered
    [InlineData("\u1E9B\u0323", "\u1E9B\u0323")]       // already NFC
    [InlineData("plain ASCII", "plain ASCII")]
    [InlineData("\uAC00\u11A8", "\uAC01")]             // precomposed LV syllable + trailing jamo composes
    [InlineData("日本語 😀 \u00E9", "日本語 😀 \u00E9")]  // stable text comes back unchanged
    public void Normalizes_like_python_unicodedata(string input, string expected) =>
        Assert.Equal(expected, Nfc.Normalize(input));
}
