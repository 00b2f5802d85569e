// The validation report (report.json): what was read, what was accepted, and every rejection with line and reason.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Shared.Datasets;

public sealed record Rejection(
    [property: JsonPropertyName("line")] long Line,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("message")] string Message);

public sealed record FileProblem(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message);

/// <summary>Length percentiles of accepted rows (prompt + longer completion), in <see cref="Unit"/>.</summary>
public sealed record LengthStats(
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("p50")] int P50,
    [property: JsonPropertyName("p90")] int P90,
    [property: JsonPropertyName("p99")] int P99,
    [property: JsonPropertyName("max")] int Max);

public sealed record ValidationReport
{
    public const int RejectionsPerReason = 50;

    [JsonPropertyName("file")] public required string File { get; init; }
    [JsonPropertyName("usable")] public required bool Usable { get; init; }
    [JsonPropertyName("schema")] public string? Schema { get; init; }
    [JsonPropertyName("bytes_read")] public long BytesRead { get; init; }
    [JsonPropertyName("rows_read")] public long RowsRead { get; init; }
    [JsonPropertyName("rows_accepted")] public long RowsAccepted { get; init; }
    [JsonPropertyName("rows_rejected")] public long RowsRejected { get; init; }
    [JsonPropertyName("reasons")] public IReadOnlyDictionary<string, long> Reasons { get; init; } = new SortedDictionary<string, long>();
    /// <summary>Capped at <see cref="RejectionsPerReason"/> per reason; <see cref="Reasons"/> has the full counts.</summary>
    [JsonPropertyName("rejections")] public IReadOnlyList<Rejection> Rejections { get; init; } = [];
    [JsonPropertyName("file_problems")] public IReadOnlyList<FileProblem> FileProblems { get; init; } = [];
    [JsonPropertyName("dataset_id")] public string? DatasetId { get; init; }
    [JsonPropertyName("train_rows")] public long TrainRows { get; init; }
    [JsonPropertyName("eval_rows")] public long EvalRows { get; init; }
    [JsonPropertyName("tokenizer")] public string? Tokenizer { get; init; }
    [JsonPropertyName("max_length")] public int? MaxLength { get; init; }
    [JsonPropertyName("token_lengths")] public LengthStats? TokenLengths { get; init; }
    [JsonPropertyName("char_lengths")] public LengthStats? CharLengths { get; init; }
    /// <summary>Accepted rows over the limit (too_long_policy truncate): the trainer cuts them to fit.</summary>
    [JsonPropertyName("truncated_rows")] public long TruncatedRows { get; init; }
    /// <summary>How far those rows are over the limit in all, in the unit of the length statistics (tokens, else chars).</summary>
    [JsonPropertyName("truncated_length")] public long TruncatedLength { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ValidationReport FromJson(string json) =>
        JsonSerializer.Deserialize<ValidationReport>(json, Json) ?? throw new FormatException("report is null");
}
