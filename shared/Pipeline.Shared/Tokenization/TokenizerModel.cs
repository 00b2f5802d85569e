// What a tokenizer file turns into: the piece encoder, the bytes each id decodes to, and the added tokens.
namespace Pipeline.Shared.Tokenization;

/// <param name="IdBytes">UTF-8 bytes of every id (empty where an id is unused); index = id.</param>
/// <param name="StripLeadingSpaces">Spaces a SentencePiece decoder removes from the start of the text (`Strip`).</param>
/// <param name="PrefixBosToken">The special token a post-processor puts in front of every sequence, if any.</param>
internal sealed record TokenizerModel(
    IPieceEncoder Pieces,
    byte[][] IdBytes,
    IReadOnlyList<AddedToken> AddedTokens,
    IReadOnlyDictionary<string, int> Vocab,
    int StripLeadingSpaces,
    string? PrefixBosToken);
