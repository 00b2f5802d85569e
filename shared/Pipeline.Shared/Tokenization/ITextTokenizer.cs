// The tokenizer contract used by ingestion (token counts) and the trainer (encoding, chat templates).
namespace Pipeline.Shared.Tokenization;

public interface ITextTokenizer
{
    /// <summary>Token ids of <paramref name="text"/> without any added BOS/EOS.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Same count as Encode(text).Count, without materialising the ids where possible.</summary>
    int CountTokens(string text);

    string Decode(IEnumerable<int> ids);

    int VocabularySize { get; }
    int? BosTokenId { get; }
    int? EosTokenId { get; }
    int? PadTokenId { get; }
}
