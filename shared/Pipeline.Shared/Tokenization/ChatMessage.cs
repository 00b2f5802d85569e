// One turn of a conversation, as `apply_chat_template` takes it ({"role": ..., "content": ...}).
namespace Pipeline.Shared.Tokenization;

public sealed record ChatMessage(string Role, string Content);
