// Turns a tokenizer name or folder from a profile or the command line into an ITextTokenizer.
using Pipeline.Shared.Tokenization;

namespace Pipeline.Shared.Datasets;

public static class TokenizerResolvers
{
    /// <summary>"gpt2" resolves to <see cref="Gpt2TextTokenizer"/>; Hugging Face folders need the HfTokenizer loader
    /// (wired by the host). Throws <see cref="ArgumentException"/> naming what is missing.</summary>
    public static ITextTokenizer Builtin(string nameOrDir) =>
        nameOrDir.Equals("gpt2", StringComparison.OrdinalIgnoreCase)
            ? new Gpt2TextTokenizer()
            : throw new ArgumentException($"tokenizer '{nameOrDir}' cannot be loaded here: only 'gpt2' is built in");
}
