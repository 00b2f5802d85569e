// Added-token matching against Hugging Face `tokenizers`: lstrip / rstrip swallow neighbouring whitespace, longest match
// wins, and non-special added tokens are matched even by Encode (only special ones are read literally there).
using System.Text.Json.Nodes;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Testing.Tokenization;

namespace Pipeline.Shared.Tests.Tokenization;

public sealed class AddedTokenTests : IDisposable
{
    private readonly TempDir dir = new("added-tokens-");

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Matches_added_tokens_like_hugging_face_tokenizers()
    {
        // tiny-llama's tokenizer.json plus three added tokens of different kinds.
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.TinyLlama, "tokenizer.json")))!;
        var added = json["added_tokens"]!.AsArray();
        added.Add(Token(303, "<mask>", special: true, lstrip: true, rstrip: true));
        added.Add(Token(304, "<tool>", special: false, lstrip: false, rstrip: false));
        added.Add(Token(305, "<tool>call", special: false, lstrip: false, rstrip: false));
        File.WriteAllText(dir.File("tokenizer.json"), json.ToJsonString());
        string[] texts = ["a <mask> b", "a   <mask>   b", "<mask>", "x<tool>y", "x<tool>call y <tool>calls", "  <tool> ", "<|begin_of_text|> <mask>"];

        var reference = NodeReference.Encode(dir.File("tokenizer.json"), texts);
        var tokenizer = HfTokenizer.Load(dir.Path);

        for (var i = 0; i < texts.Length; i++)
            Assert.Equal(reference.Ids[i], tokenizer.EncodeWithSpecialTokens(texts[i]));
        Assert.Equal(reference.Ids[3], tokenizer.Encode(texts[3]));
        Assert.Equal(reference.Ids[4], tokenizer.Encode(texts[4]));
    }

    private static JsonObject Token(int id, string content, bool special, bool lstrip, bool rstrip) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = lstrip, ["rstrip"] = rstrip,
        ["normalized"] = false, ["special"] = special,
    };
}
