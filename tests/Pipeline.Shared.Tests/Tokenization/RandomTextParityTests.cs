// Seeded random strings over awkward characters (space runs, combining marks, surrogates, CJK, contractions, specials)
// through every tokenizer of the zoo and Hugging Face `tokenizers`: the ids must agree on all of them.
using System.Text;
using Pipeline.Testing.Tokenization;

namespace Pipeline.Shared.Tests.Tokenization;

public sealed class RandomTextParityTests
{
    private static readonly string[] Atoms =
    [
        " ", "  ", "\n", "\t", "a", "Z", "é", "e\u0301", "ñ", "'s", "'LL", "7", "42", "1234", "3.5", "日", "本", "한",
        "😀", "👍🏽", "𝐀", "𠀀", "-", "!!", "(", "}", "\"", "_", "Ω", "ß", "ı", "\u00A0", "the", " of", "ing", "<", ">", "|",
    ];

    [Theory]
    [MemberData(nameof(TokenizerZoo.Names), MemberType = typeof(TokenizerZoo))]
    public void Random_texts_encode_to_hugging_faces_ids(string name)
    {
        var random = new Random(20260601);
        var specials = TokenizerZoo.Folders[name].Specials;
        var texts = Enumerable.Range(0, 200).Select(_ =>
        {
            var sb = new StringBuilder();
            var n = random.Next(0, 24);
            for (var i = 0; i < n; i++)
                sb.Append(random.Next(30) == 0 ? specials[random.Next(specials.Length)] : Atoms[random.Next(Atoms.Length)]);
            return sb.ToString();
        }).ToArray();
        var tokenizer = TokenizerZoo.Get(name);

        var reference = NodeReference.Encode(Path.Combine(TokenizerZoo.Folders[name].Dir, "tokenizer.json"), texts);

        for (var i = 0; i < texts.Length; i++)
            Assert.True(reference.Ids[i].SequenceEqual(tokenizer.EncodeWithSpecialTokens(texts[i])),
                $"{name}: \"{texts[i]}\" expected [{string.Join(",", reference.Ids[i])}] got [{string.Join(",", tokenizer.EncodeWithSpecialTokens(texts[i]))}]");
    }
}
