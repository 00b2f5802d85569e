// Other tokenizer file forms (tiktoken ranks) and the errors a bad folder gets: each names the file and the reason.
using System.Text;
using System.Text.Json;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Training.Model;

namespace Pipeline.Shared.Tests.Tokenization;

public sealed class TokenizerFolderTests : IDisposable
{
    private readonly TempDir dir = new("tokenizer-folder-");

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Tiktoken_rank_file_gives_the_ids_hugging_face_gives_for_llama3()
    {
        // Llama 3 ships its ranks as original/tokenizer.model in tiktoken format; rebuild it from tokenizer.json.
        var source = TokenizerZoo.Folders["llama3"].Dir;
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(source, "tokenizer.json"))))
        {
            var lines = doc.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject()
                .OrderBy(p => p.Value.GetInt32())
                .Select(p => $"{Convert.ToBase64String(ByteLevel.TryDecode(p.Name)!)} {p.Value.GetInt32()}");
            File.WriteAllLines(dir.File("tokenizer.model"), lines);
        }
        File.Copy(Path.Combine(source, "tokenizer_config.json"), dir.File("tokenizer_config.json"));

        var tokenizer = HfTokenizer.Load(dir.Path);
        var corpus = TokenizerZoo.Corpus("llama3");
        var reference = TokenizerZoo.Reference("llama3");

        for (var i = 0; i < corpus.Length; i++)
        {
            Assert.Equal(reference.Ids[i], tokenizer.EncodeWithSpecialTokens(corpus[i]));
            Assert.Equal(reference.Decoded[i], tokenizer.Decode(reference.Ids[i]));
        }
        Assert.Equal(128_000, tokenizer.BosTokenId);
    }

    [Fact]
    public void Encode_reads_special_token_strings_in_user_text_literally()
    {
        var tokenizer = TokenizerZoo.Get("qwen3");
        var imEnd = tokenizer.IdOf("<|im_end|>")!.Value;

        Assert.Equal([imEnd], tokenizer.EncodeWithSpecialTokens("<|im_end|>"));
        Assert.DoesNotContain(imEnd, tokenizer.Encode("<|im_end|>"));
        Assert.Equal("<|im_end|>", tokenizer.Decode(tokenizer.Encode("<|im_end|>")));
    }

    [Fact]
    public void Rejects_a_missing_folder_naming_it()
    {
        var missing = dir.File("nope");

        var error = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(missing));

        Assert.Equal(missing, error.File);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void Rejects_a_folder_without_tokenizer_files()
    {
        var error = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(dir.Path));

        Assert.Contains("no tokenizer.json, tokenizer.model or *.tiktoken", error.Message);
    }

    [Fact]
    public void Rejects_malformed_tokenizer_json_naming_the_file()
    {
        var path = dir.File("tokenizer.json");
        File.WriteAllText(path, "{ \"model\": ");

        var error = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(dir.Path));

        Assert.Equal(path, error.File);
        Assert.StartsWith($"{path}: not valid JSON", error.Message);
    }

    [Fact]
    public void Rejects_an_unsupported_model_type_naming_it()
    {
        File.WriteAllText(dir.File("tokenizer.json"),
            """{ "normalizer": null, "pre_tokenizer": null, "model": { "type": "WordPiece", "vocab": { "a": 0 } } }""");

        var error = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(dir.Path));

        Assert.Contains("model.type 'WordPiece' is not supported", error.Message);
    }

    [Fact]
    public void Rejects_tokenizer_json_with_a_field_of_the_wrong_shape()
    {
        var path = dir.File("tokenizer.json");
        File.WriteAllText(path, """{ "normalizer": null, "pre_tokenizer": null, "model": { "type": "BPE", "vocab": [1, 2] } }""");

        var error = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(dir.Path));

        Assert.Equal(path, error.File);
        Assert.Contains("unexpected structure", error.Message);
    }

    [Fact]
    public void Rejects_a_tiktoken_file_with_a_bad_line_naming_the_line()
    {
        var path = dir.File("cl.tiktoken");
        File.WriteAllText(path, "IQ== 0\nnot-base64 x\n", Encoding.ASCII);

        var error = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(dir.Path));

        Assert.Equal(path, error.File);
        Assert.Contains("line 2", error.Message);
    }

    [Fact]
    public void Rejects_a_malformed_tokenizer_config_naming_it()
    {
        TinyTokenizerFiles.WriteGpt2ChatMl(dir.Path);
        var path = dir.File("tokenizer_config.json");
        File.WriteAllText(path, "[1, 2");

        var error = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(dir.Path));

        Assert.Equal(path, error.File);
    }
}
