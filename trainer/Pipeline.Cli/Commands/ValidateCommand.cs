// `pipeline validate FILE [--schema NAME] [--tokenizer DIR] [--max-length N] [--output REPORT.json] [--profile P.json]`:
// the ingestion validation, offline. Exit 0 usable, 1 not usable, 2 usage error.
using System.CommandLine;
using Pipeline.Cli.Local;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Cli.Commands;

public static class ValidateCommand
{
    /// <param name="resolveTokenizer">Name or folder -> tokenizer; defaults to the built-in ("gpt2").</param>
    public static Command Create(Func<string, ITextTokenizer>? resolveTokenizer = null)
    {
        var file = new Argument<string?>("FILE") { Description = "JSONL (.jsonl, .jsonl.gz), JSON array (.json) or Parquet file", Arity = ArgumentArity.ZeroOrOne };
        var schema = new Option<string?>("--schema") { Description = "standard, conversational, implicit_prompt, openai or mapped (default: detect)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer folder (Hugging Face) or 'gpt2', to count tokens" };
        // Parsed here, not by System.CommandLine, so a bad number is a usage error (exit 2) like every other.
        var maxLength = new Option<string?>("--max-length") { Description = "longest prompt + completion in tokens (needs --tokenizer)" };
        var output = new Option<string?>("--output") { Description = "write report.json here" };
        var profile = new Option<string?>("--profile") { Description = "a target profile JSON file (config/targets/{target}.json)" };
        var cmd = new Command("validate", "Validate a preference-data file offline; exit 0 usable, 1 not usable, 2 usage error.")
        {
            file, schema, tokenizer, maxLength, output, profile,
        };
        cmd.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            int? max = null;
            if (r.GetValue(maxLength) is { } text)
            {
                if (!int.TryParse(text, out var n) || n <= 0)
                {
                    await Console.Error.WriteLineAsync($"usage error: --max-length '{text}' is not a positive whole number");
                    return ExitCodes.Usage;
                }
                max = n;
            }
            return await LocalCommands.ValidateAsync(
                new ValidateArguments(r.GetValue(file), r.GetValue(schema), r.GetValue(tokenizer), max, r.GetValue(output), r.GetValue(profile)),
                resolveTokenizer ?? TokenizerResolvers.Builtin, Console.Out, Console.Error, ct);
        });
        return cmd;
    }
}
