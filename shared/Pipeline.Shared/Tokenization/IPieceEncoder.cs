// The model part of a tokenizer: turns a stretch of text that holds no added token into ids.
namespace Pipeline.Shared.Tokenization;

internal interface IPieceEncoder
{
    void Encode(string text, List<int> ids);

    int Count(string text);
}
