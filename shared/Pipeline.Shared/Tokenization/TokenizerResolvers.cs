// Resolves a tokenizer named in a profile or on the command line: "gpt2" (built in) or a Hugging Face folder.

namespace Pipeline.Shared.Tokenization;

public static class TokenizerResolvers
{
    /// <summary>"gpt2" resolves to <see cref="Gpt2TextTokenizer"/>; anything else is a Hugging Face model or tokenizer
    /// folder loaded with <see cref="HfTokenizer.Load"/> (errors name the file and the reason).</summary>
    public static ITextTokenizer Builtin(string nameOrDir) =>
        nameOrDir.Equals("gpt2", StringComparison.OrdinalIgnoreCase)
            ? new Gpt2TextTokenizer()
            : HfTokenizer.Load(nameOrDir);
}
