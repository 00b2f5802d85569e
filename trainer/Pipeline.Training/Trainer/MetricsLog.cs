// metrics.jsonl: one JSON object per log (step, epoch, learning_rate, grad_norm, tokens_per_second and TRL's metric
// names) or per evaluation (eval_ names). On resume, records after the checkpoint's step are dropped and rewritten.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Training.Trainer;

public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter _writer;

    public MetricsLog(string path, int? resumedFromStep)
    {
        var kept = resumedFromStep is int step && File.Exists(path)
            ? File.ReadAllLines(path).Where(l => JsonNode.Parse(l)?["step"]?.GetValue<int>() <= step).ToList()
            : [];
        File.WriteAllLines(path, kept);
        _writer = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    public void Write(int step, double epoch, IEnumerable<KeyValuePair<string, double>> values)
    {
        var record = new JsonObject { ["step"] = step, ["epoch"] = Math.Round(epoch, 6) };
        foreach (var (key, value) in values)
            record[key] = double.IsFinite(value) ? value : JsonValue.Create(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _writer.WriteLine(record.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    public void Dispose() => _writer.Dispose();
}
