// `pipeline eval --model DIR --data FILE --beta B [--max-length N] --output REPORT.json`: ORPO metrics (eval_ names)
// over the whole file as if it were one batch; the internal --batch-size changes speed only.
using System.CommandLine;
using System.Text.Json;
using Pipeline.Training.Evaluation;
using Pipeline.Training.Data;
using Pipeline.Training.Orpo;

namespace Pipeline.Cli.Commands;

public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model: a Hugging Face folder.", Required = true };
        var data = new Option<string>("--data") { Description = "Preference pairs (JSONL, or a dataset folder with eval.jsonl).", Required = true };
        var beta = new Option<double>("--beta") { Description = "ORPO beta.", DefaultValueFactory = _ => 0.1 };
        var maxLength = new Option<int>("--max-length") { Description = "Longer pairs are cut as training cuts them (prompt from the left, then completions).", DefaultValueFactory = _ => 1024 };
        var batchSize = new Option<int>("--batch-size") { Description = "Pairs per forward pass (results do not depend on it).", DefaultValueFactory = _ => 8 };
        var output = new Option<string>("--output") { Description = "Report JSON: {\"metrics\": {...}, ...}.", Required = true };
        var device = new Option<string>("--device") { Description = "cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var cmd = new Command("eval", "Evaluate ORPO metrics of a model on preference pairs.") { model, data, beta, maxLength, batchSize, output, device };
        cmd.SetAction(async (ParseResult r, CancellationToken ct) => await CliErrors.Run(() =>
        {
            var result = OrpoEvaluator.EvaluateFile(r.GetValue(model)!, r.GetValue(data)!, r.GetValue(beta), r.GetValue(maxLength),
                r.GetValue(batchSize), OverlongPolicy.Truncate, r.GetValue(device)!);
            var report = new Dictionary<string, object>
            {
                ["metrics"] = result.Metrics,
                ["beta"] = r.GetValue(beta),
                ["num_pairs"] = result.Pairs,
                ["pairs_dropped"] = result.PairsDropped,
                ["pairs_truncated"] = result.PairsTruncated,
                ["tokens_truncated"] = result.TokensTruncated,
                ["nll_token_count"] = result.NllTokens,
            };
            var path = r.GetValue(output)!;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.WriteAllText(path, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            foreach (var (key, value) in result.Metrics) Console.WriteLine($"{key} {value:0.######}");
            return Task.CompletedTask;
        }));
        return cmd;
    }
}
