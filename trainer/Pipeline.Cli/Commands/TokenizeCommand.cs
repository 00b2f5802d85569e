// `pipeline tokenize --model DIR FILE [--max-length N] [--config orpo.json] [--key value ...] [--output F.jsonl]`: per
// pair one JSON line with the prompt / chosen / rejected ids and their decoded pieces exactly as training sees them.
using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Tokenization;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;

namespace Pipeline.Cli.Commands;

public static class TokenizeCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder whose tokenizer (and chat template) training uses.", Required = true };
        var file = new Argument<string>("FILE") { Description = "Preference pairs (JSONL, .jsonl.gz, JSON array, Parquet) or a dataset folder with train.jsonl." };
        var maxLength = new Option<int?>("--max-length") { Description = "max_length (default: the config's, 1024)." };
        var config = new Option<string?>("--config") { Description = "ORPO config (max_length, overlong_pairs, max_prompt_length, ...) as `train` reads it." };
        var output = new Option<string?>("--output") { Description = "Write the lines here instead of stdout." };
        var cmd = new Command("tokenize", "Print each pair's token ids and pieces as training sees them (template, BOS/EOS, truncation).")
        {
            model, file, maxLength, config, output,
        };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(async (ParseResult r, CancellationToken ct) => await CliErrors.Run(async () =>
        {
            var overrides = TrainCommand.ParseOverrides(r.UnmatchedTokens);
            if (r.GetValue(maxLength) is int n) overrides["max_length"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var c = OrpoConfig.Load(r.GetValue(config), overrides);
            string summary;
            if (r.GetValue(output) is not { } path)
                summary = Run(r.GetValue(model)!, r.GetValue(file)!, c, Console.Out);
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                await using var writer = new StreamWriter(path);
                summary = Run(r.GetValue(model)!, r.GetValue(file)!, c, writer);
            }
            await Console.Error.WriteLineAsync(summary);
        }));
        return cmd;
    }

    /// <summary>Writes one line per pair to <paramref name="output"/>; returns the summary line.</summary>
    public static string Run(string modelDir, string fileOrDir, OrpoConfig config, TextWriter output)
    {
        var tokenizer = HfTokenizer.Load(modelDir);
        var rows = PreferenceData.Load(PreferenceData.Resolve(fileOrDir, "train"), PreferenceData.ChatFor(tokenizer));
        var (kept, dropped, truncated, cutTokens) = (0, 0, 0, 0L);
        foreach (var (row, t) in TokenizedData.Each(rows, tokenizer, config.MaxLength, config.Overlong))
        {
            var line = new Dictionary<string, object> { ["line"] = row.Line };
            if (t.Pair is not { } p)
            {
                line["dropped"] = t.DropReason!;
                dropped++;
            }
            else
            {
                line["prompt"] = Piece(tokenizer, p.ChosenIds[..p.ChosenPromptLength]);
                if (!p.RejectedIds.AsSpan(0, p.RejectedPromptLength).SequenceEqual(p.ChosenIds.AsSpan(0, p.ChosenPromptLength)))
                    line["rejected_prompt"] = Piece(tokenizer, p.RejectedIds[..p.RejectedPromptLength]); // a merge at the boundary
                line["chosen"] = Piece(tokenizer, p.ChosenIds[p.ChosenPromptLength..]);
                line["rejected"] = Piece(tokenizer, p.RejectedIds[p.RejectedPromptLength..]);
                line["truncated_tokens"] = t.CutTokens;
                kept++;
                if (t.CutTokens > 0) (truncated, cutTokens) = (truncated + 1, cutTokens + t.CutTokens);
            }
            output.WriteLine(JsonSerializer.Serialize(line, Json));
        }
        return $"{kept} pairs, {dropped} dropped, {truncated} truncated ({cutTokens} tokens cut); max_length {config.MaxLength}, overlong_pairs {config.OverlongPairs}";
    }

    private static Dictionary<string, object> Piece(HfTokenizer tokenizer, int[] ids) => new()
    {
        ["ids"] = ids,
        ["pieces"] = ids.Select(id => tokenizer.Decode([id])).ToArray(),
    };
}
