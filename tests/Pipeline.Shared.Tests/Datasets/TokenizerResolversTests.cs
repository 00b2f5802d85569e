using Pipeline.Shared.Datasets;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Datasets;

public sealed class TokenizerResolversTests
{
    [Fact]
    public void Gpt2_name_resolves_to_the_builtin_tokenizer()
    {
        Assert.IsType<Gpt2TextTokenizer>(TokenizerResolvers.Builtin("gpt2"));
    }

    [Fact]
    public void A_hugging_face_folder_resolves_to_its_own_tokenizer()
    {
        var tokenizer = TokenizerResolvers.Builtin(RepoPaths.TinyLlama);
        Assert.IsType<HfTokenizer>(tokenizer);
        Assert.Equal(301, tokenizer.BosTokenId); // tiny-llama's config.json: bos_token_id 301
        Assert.True(tokenizer.CountTokens("Hello world") > 0);
    }

    [Fact]
    public void A_folder_without_tokenizer_files_is_an_error_naming_it()
    {
        using var empty = new TempDir("no-tokenizer-");
        var error = Assert.ThrowsAny<Exception>(() => TokenizerResolvers.Builtin(empty.Path));
        Assert.Contains(empty.Path, error.Message);
    }
}
