// A chat template that cannot be recognised, or a conversation the template refuses (it would raise_exception).
namespace Pipeline.Shared.Tokenization;

public sealed class ChatTemplateException(string message) : Exception(message);
