// The one place that names containers and blobs: incoming/, datasets/, quarantine/, runs/, models/, config/.
// Every name is built from a validated target and a safe file name, so nothing escapes its prefix.
using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Storage;

public static class StorageLayout
{
    public const string Incoming = "incoming";
    public const string Datasets = "datasets";
    public const string Quarantine = "quarantine";
    public const string Runs = "runs";
    public const string Models = "models";
    public const string Config = "config";
    public const string TrainingRequestsQueue = "training-requests";

    public static readonly IReadOnlyList<string> Containers = [Incoming, Datasets, Quarantine, Runs, Models, Config];

    /// <summary>incoming/{target}/{name}</summary>
    public static string IncomingBlob(string target, string name) => $"{T(target)}/{TargetName.ValidateFileName(name)}";

    /// <summary>config/targets/{target}.json</summary>
    public static string TargetProfileBlob(string target) => $"targets/{T(target)}.json";

    /// <summary>datasets/{target}/{datasetId}/ (with the trailing slash, for listing).</summary>
    public static string DatasetPrefix(string target, string datasetId) => $"{T(target)}/{Id(datasetId)}/";

    public static string DatasetTrainBlob(string target, string datasetId) => DatasetPrefix(target, datasetId) + "train.jsonl";
    public static string DatasetEvalBlob(string target, string datasetId) => DatasetPrefix(target, datasetId) + "eval.jsonl";
    public static string DatasetReportBlob(string target, string datasetId) => DatasetPrefix(target, datasetId) + "report.json";
    public static string DatasetReportMarkdownBlob(string target, string datasetId) => DatasetPrefix(target, datasetId) + "report.md";

    /// <summary>Marker written (If-None-Match: *) once the dataset's training request has been published.</summary>
    public static string DatasetRequestMarkerBlob(string target, string datasetId) => DatasetPrefix(target, datasetId) + "request.json";

    /// <summary>datasets/{target}/_pairs/{datasetId}.xxh128.bin: the XxHash128 of each of the dataset's normalised pairs
    /// (the per-target duplicate index). The format is in the name, so another hash never mixes with this one.</summary>
    public static string PairIndexPrefix(string target) => $"{T(target)}/_pairs/";
    public static string PairIndexBlob(string target, string datasetId) => PairIndexPrefix(target) + Id(datasetId) + ".xxh128.bin";

    /// <summary>datasets/{target}/_content/{contentId}.json: maps the hash of a file's unique rows to the dataset it became,
    /// so a repeat of a file whose rows partly overlapped earlier datasets is recognised.</summary>
    public static string ContentAliasBlob(string target, string contentId) => $"{T(target)}/_content/{Id(contentId)}.json";

    /// <summary>quarantine/{target}/{name} and its report beside it.</summary>
    public static string QuarantineBlob(string target, string name) => $"{T(target)}/{TargetName.ValidateFileName(name)}";
    public static string QuarantineReportBlob(string target, string name) => QuarantineBlob(target, name) + ".report.json";
    public static string QuarantineReportMarkdownBlob(string target, string name) => QuarantineBlob(target, name) + ".report.md";

    /// <summary>runs/{target}/{runId}/</summary>
    public static string RunPrefix(string target, string runId) => $"{T(target)}/{Id(runId)}/";

    /// <summary>models/{target}/v{NNNN}/ and models/{target}/latest.json</summary>
    public static string ModelVersionPrefix(string target, int version) => $"{T(target)}/v{version:D4}/";
    public static string ModelLatestBlob(string target) => $"{T(target)}/latest.json";

    /// <summary>Splits "target/name..." (the blob trigger's path under incoming/) into target and file name.</summary>
    public static (string Target, string Name) ParseIncoming(string blobName)
    {
        var slash = blobName.IndexOf('/');
        if (slash <= 0) throw new ArgumentException($"incoming blob '{blobName}' is not under a target folder");
        return (TargetName.Validate(blobName[..slash]), TargetName.ValidateFileName(blobName[(slash + 1)..]));
    }

    private static string T(string target) => TargetName.Validate(target);

    private static string Id(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || id.Contains(".."))
            throw new ArgumentException($"id '{id}' must be ASCII letters, digits, '-', '_' or '.'");
        return id;
    }
}
