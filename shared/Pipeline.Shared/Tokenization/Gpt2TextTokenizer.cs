// ITextTokenizer over Microsoft.ML.Tokenizers' GPT-2 tiktoken encoding: for tests, the benchmark and `--tokenizer gpt2`.
using Microsoft.ML.Tokenizers;

namespace Pipeline.Shared.Tokenization;

public sealed class Gpt2TextTokenizer : ITextTokenizer
{
    private const int EndOfText = 50256;
    private readonly TiktokenTokenizer _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");

    public IReadOnlyList<int> Encode(string text) => _tokenizer.EncodeToIds(text);
    public int CountTokens(string text) => _tokenizer.CountTokens(text);
    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids);
    public int VocabularySize => 50257;
    public int? BosTokenId => EndOfText;
    public int? EosTokenId => EndOfText;
    public int? PadTokenId => null;
}
