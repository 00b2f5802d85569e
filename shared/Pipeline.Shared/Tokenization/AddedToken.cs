// A Hugging Face added token (tokenizer.json `added_tokens`, tokenizer_config.json `added_tokens_decoder`).
namespace Pipeline.Shared.Tokenization;

public sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false);
