// The one error a tokenizer folder raises when a file is missing, malformed or unsupported: it names the file and why.
namespace Pipeline.Shared.Tokenization;

public sealed class TokenizerFormatException(string file, string reason)
    : FormatException($"{file}: {reason}")
{
    public string File { get; } = file;
    public string Reason { get; } = reason;
}
