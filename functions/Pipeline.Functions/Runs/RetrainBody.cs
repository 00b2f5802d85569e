// The retrain request body, read strictly: at most MaxBytes, a JSON object whose only key is "dataset_ids", a
// non-empty array of strings (deduplicated in order, capped). Anything else is a typed 400 naming what is wrong.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Pipeline.Functions.Http;

namespace Pipeline.Functions.Runs;

/// <summary>The datasets to train (null: every dataset of the target), duplicates removed, in the order sent.</summary>
public sealed record RetrainBody(IReadOnlyList<string>? DatasetIds)
{
    /// <summary>Largest body read; a longer one is refused (413) without being buffered.</summary>
    public const int MaxBytes = 64 * 1024;

    public const string DatasetIdsKey = "dataset_ids";

    /// <summary>Hash of the canonical body: what "the same body" means for idempotency (whitespace, key order and
    /// repeated ids do not change it).</summary>
    public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        DatasetIds is null ? "all" : "ids\n" + string.Join("\n", DatasetIds))));

    /// <summary>Reads at most <see cref="MaxBytes"/> and parses them; the body or a typed error.</summary>
    public static async Task<(RetrainBody? Body, ApiError? Error)> ReadAsync(Stream body, int maxDatasetIds, CancellationToken ct)
    {
        var buffer = new byte[MaxBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), ct)) > 0) length += read;
        if (length > MaxBytes)
            return (null, new ApiError(StatusCodes.Status413PayloadTooLarge, "body_too_large", $"the body is larger than {MaxBytes} bytes"));
        return Parse(buffer.AsSpan(0, length), maxDatasetIds);
    }

    public static (RetrainBody? Body, ApiError? Error) Parse(ReadOnlySpan<byte> utf8, int maxDatasetIds)
    {
        if (IsBlank(utf8)) return (new RetrainBody((IReadOnlyList<string>?)null), null);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException e)
        {
            return Bad("invalid_json", $"the body is not JSON ({e.Message}); send {{\"{DatasetIdsKey}\": [\"ds-...\"]}} or nothing");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return Bad("invalid_json", $"the body must be a JSON object like {{\"{DatasetIdsKey}\": [\"ds-...\"]}}, not {Kind(root)}");
            JsonElement? ids = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name != DatasetIdsKey)
                    return Bad("unknown_field", $"unknown field '{Short(property.Name)}'; the only field is '{DatasetIdsKey}'");
                if (ids is not null) return Bad("invalid_dataset_ids", $"'{DatasetIdsKey}' is given twice");
                ids = property.Value;
            }
            if (ids is not { } array) return (new RetrainBody((IReadOnlyList<string>?)null), null);
            if (array.ValueKind != JsonValueKind.Array)
                return Bad("invalid_dataset_ids", $"'{DatasetIdsKey}' must be an array of dataset ids, not {Kind(array)}");
            var distinct = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                    return Bad("invalid_dataset_ids", $"'{DatasetIdsKey}[{index}]' must be a string, not {Kind(item)}");
                var id = item.GetString()!;
                if (seen.Add(id)) distinct.Add(id);
                if (distinct.Count > maxDatasetIds)
                    return Bad("too_many_dataset_ids", $"'{DatasetIdsKey}' names more than {maxDatasetIds} datasets");
                index++;
            }
            if (index == 0)
                return Bad("invalid_dataset_ids", $"'{DatasetIdsKey}' is empty; leave it out to train on every dataset of the target");
            return (new RetrainBody(distinct), null);
        }
    }

    private static (RetrainBody?, ApiError?) Bad(string code, string message) =>
        (null, new ApiError(StatusCodes.Status400BadRequest, code, message));

    private static bool IsBlank(ReadOnlySpan<byte> utf8)
    {
        foreach (var b in utf8)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return false;
        return true;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "a boolean",
    };

    private static string Short(string s) => s.Length <= 64 ? s : s[..64] + "...";
}
