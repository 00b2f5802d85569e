// `pipeline train --model DIR --data FILE_OR_DATASET_DIR --output DIR [--config orpo.json] [--resume] [--key value ...]`:
// ORPO training; any further `--<orpo config key> value` overrides the config file (TRL names, e.g. --learning_rate 5e-5).
using System.CommandLine;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Tokenization;
using Pipeline.Training;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;

namespace Pipeline.Cli.Commands;

public static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Base model: a Hugging Face folder (config.json, safetensors, tokenizer files).", Required = true };
        var data = new Option<string>("--data") { Description = "Preference pairs: a JSONL file, or a dataset folder with train.jsonl (and eval.jsonl).", Required = true };
        var output = new Option<string>("--output") { Description = "Output folder: model, checkpoints/, metrics.jsonl, runs/ (TensorBoard), train_summary.json.", Required = true };
        var config = new Option<string?>("--config") { Description = "ORPO config, JSON or YAML, with TRL ORPOConfig / TrainingArguments names." };
        var resume = new Option<bool>("--resume") { Description = "Continue from the latest checkpoint in --output." };
        var evalData = new Option<string?>("--eval-data") { Description = "Held-out pairs evaluated every eval_steps (default: eval.jsonl of a dataset folder)." };
        var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("train", "Train a model with ORPO (TRL semantics) on preference pairs.")
        {
            model, data, output, config, resume, evalData, device,
        };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(async (ParseResult r, CancellationToken ct) => await CliErrors.Run(async () =>
        {
            var overrides = ParseOverrides(r.UnmatchedTokens);
            var orpo = OrpoConfig.Load(r.GetValue(config), overrides);
            foreach (var warning in orpo.Warnings) await Console.Error.WriteLineAsync($"warning: {warning}");
            var job = new TrainJob(r.GetValue(model)!, r.GetValue(data)!, r.GetValue(output)!, orpo,
                r.GetValue(resume), r.GetValue(evalData), r.GetValue(device)!);
            Console.WriteLine($"precision: {OrpoTrainer.Precision(OrpoTrainer.Resolve(orpo, job.Device))}");
            TorchRuntime.Configure(); // threads and the allocator's mmap threshold, as the worker sets them
            var progress = new ConsoleProgress();
            var result = await OrpoTrainer.RunAsync(job, progress, ct);
            if (result.AlreadyComplete) return; // the progress line already said so; nothing was trained
            Console.WriteLine($"done: {result.GlobalStep} steps, train_loss {result.TrainLoss:0.0000}, {result.TrainTokensPerSecond:0} tok/s, " +
                $"padding {result.PaddingShare:P1}, {result.PairsDropped} pairs dropped; model in {result.OutputDir}");
        }));
        return cmd;
    }

    /// <summary>`--key value` / `--key=value` pairs; dashes in keys read as underscores (--learning-rate = learning_rate).</summary>
    internal static Dictionary<string, string> ParseOverrides(IReadOnlyList<string> tokens)
    {
        var result = new Dictionary<string, string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
                throw new InvalidDataException($"command line: unexpected '{token}' (overrides are --key value).");
            var eq = token.IndexOf('=');
            var key = (eq > 0 ? token[2..eq] : token[2..]).Replace('-', '_');
            string value;
            if (eq > 0) value = token[(eq + 1)..];
            else if (i + 1 < tokens.Count) value = tokens[++i];
            else throw new InvalidDataException($"command line: --{key} needs a value.");
            result[key] = value;
        }
        return result;
    }

    /// <summary>Prints one progress line per report, synchronously (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class ConsoleProgress : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => Console.WriteLine(value.ToLine());
    }
}

/// <summary>
/// Bad user input (data, config, model folder) becomes one clear line on stderr and exit code 2; a diverged run (NaN/Inf)
/// exits 3. Anything else is a bug or an infrastructure fault and propagates.
/// </summary>
internal static class CliErrors
{
    public static async Task<int> Run(Func<Task> action)
    {
        try
        {
            await action();
            return 0;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or TokenizerFormatException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 2;
        }
        catch (NonFiniteLossException e)
        {
            await Console.Error.WriteLineAsync($"training stopped: {e.Message}");
            return 3;
        }
    }
}
