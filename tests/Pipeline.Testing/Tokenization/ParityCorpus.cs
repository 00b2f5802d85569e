// Text that trips tokenizers up: whitespace runs, digits, accents, emoji, code, CJK, contractions, newlines.
namespace Pipeline.Testing.Tokenization;

public static class ParityCorpus
{
    public static readonly string[] Plain =
    [
        "Hello world",
        "Hello  world   three    four",
        "  leading spaces and trailing   ",
        "\ttabs\tand\nnew\nlines\r\nwindows\n\n\nthree",
        "1234567890 3.14159 1,000,000 2024-06-01 0x1F",
        "Café naïve résumé Zürich Ångström façade",
        "e\u0301 decomposed accents and ñ precomposed",
        "Emoji: 😀👍🏽 🇫🇷 👨‍👩‍👧 ❤️",
        "def f(x):\n    return x ** 2  # square\n\nprint(f(3))",
        "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "I'm sure you'll see they've said it's fine, didn't they? DON'T SHOUT",
        "日本語のテキストと中文文本，한국어 텍스트",
        "Привет, мир! Γειά σου κόσμε. مرحبا بالعالم",
        "URLs: https://example.com/path?q=1&r=two#frag and emails a.b@c.org",
        "!!!??? ... --- *** ### $$$ %%% ^^^",
        "",
        " ",
        "a",
        "           ",
        "<not_a_token> <|fake|> [INST] almost",
        "Math 𝐀𝐁𝐂 and CJK-B 𠀀𠀁 letters, 𝟙𝟚 digits",
        "Odd spaces:\u00A0nbsp\u3000ideographic\u2028line\u000Bvt\u000Cff\u0085nel\u200Bzwsp \u00A0 \u2003em",
    ];

    /// <summary>Texts holding the special tokens of <paramref name="specials"/>, as a chat template produces them.</summary>
    public static string[] WithSpecials(params string[] specials) =>
    [
        .. specials.Select(s => $"{s}Hello{s} world {s}\n"),
        string.Join("text ", specials),
        $"{specials[0]}{specials[^1]}  spaced {specials[0]}",
    ];
}
