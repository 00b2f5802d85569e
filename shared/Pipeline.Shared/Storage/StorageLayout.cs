// The one place that names containers and blobs: incoming/, datasets/, quarantine/, runs/, models/, config/,
// base-models/. Every name is built from a validated target and a safe file name, so nothing escapes its prefix.
// Code elsewhere passes these names to the Azure SDK; a test fails on a blob name spelled anywhere else.
using Pipeline.Shared.Contracts;
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
    /// <summary>Base models as Hugging Face folders: a profile names one as "base-models/{folder}".</summary>
    public const string BaseModels = "base-models";
    public const string TrainingRequestsQueue = "training-requests";

    public static readonly IReadOnlyList<string> Containers = [Incoming, Datasets, Quarantine, Runs, Models, Config];

    /// <summary>The separator of virtual folders in blob names (listings by hierarchy split on it).</summary>
    public const string Delimiter = "/";

    /// <summary>Report file names: a dataset's validation report and a version's evaluation report (under eval/).</summary>
    public const string ReportJsonFile = "report.json";
    public const string ReportMarkdownFile = "report.md";
    public const string ReportHtmlFile = "report.html";

    /// <summary>"{target}/": everything of one target inside a container (incoming, datasets, runs, models).</summary>
    public static string TargetPrefix(string target) => $"{T(target)}/";

    // ---- incoming/ and config/

    /// <summary>incoming/{target}/{name}</summary>
    public static string IncomingBlob(string target, string name) => TargetPrefix(target) + TargetName.ValidateFileName(name);

    /// <summary>Splits "target/name..." (the blob trigger's path under incoming/) into target and file name.</summary>
    public static (string Target, string Name) ParseIncoming(string blobName)
    {
        var slash = blobName.IndexOf('/');
        if (slash <= 0) throw new ArgumentException($"incoming blob '{blobName}' is not under a target folder");
        return (TargetName.Validate(blobName[..slash]), TargetName.ValidateFileName(blobName[(slash + 1)..]));
    }

    /// <summary>config/targets/{target}.json</summary>
    public static string TargetProfileBlob(string target) => $"targets/{T(target)}.json";

    // ---- datasets/

    /// <summary>datasets/{target}/{datasetId}/ (with the trailing slash, for listing).</summary>
    public static string DatasetPrefix(string target, string datasetId) => $"{T(target)}/{Id(datasetId)}/";

    public static string DatasetTrainBlob(string target, string datasetId) => DatasetPrefix(target, datasetId) + DatasetTrainFile;
    public static string DatasetEvalBlob(string target, string datasetId) => DatasetPrefix(target, datasetId) + DatasetEvalFile;
    public static string DatasetReportBlob(string target, string datasetId) => DatasetPrefix(target, datasetId) + ReportJsonFile;
    public static string DatasetReportMarkdownBlob(string target, string datasetId) => DatasetPrefix(target, datasetId) + ReportMarkdownFile;

    /// <summary>File names of the two splits inside a dataset folder (the trainer's local copies use them too).</summary>
    public const string DatasetTrainFile = "train.jsonl";
    public const string DatasetEvalFile = "eval.jsonl";

    /// <summary>Marker written (If-None-Match: *) once the dataset's training request has been published. Its presence
    /// is what makes a dataset one of the target's accepted datasets.</summary>
    public static string DatasetRequestMarkerBlob(string target, string datasetId) => DatasetPrefix(target, datasetId) + RequestMarkerFile;

    private const string RequestMarkerFile = "request.json";

    /// <summary>The dataset id of a request marker's blob name ("{target}/{id}/request.json"), or null for any other blob.</summary>
    public static string? DatasetIdOfRequestMarker(string blobName) =>
        blobName.Split('/') is [_, var id, RequestMarkerFile] && id.StartsWith("ds-", StringComparison.Ordinal) ? id : null;

    /// <summary>datasets/{target}/_pairs/{datasetId}.xxh128.bin: the XxHash128 of each of the dataset's normalised pairs
    /// (the per-target duplicate index). The format is in the name, so another hash never mixes with this one.</summary>
    public static string PairIndexPrefix(string target) => $"{T(target)}/_pairs/";
    public static string PairIndexBlob(string target, string datasetId) => PairIndexPrefix(target) + Id(datasetId) + PairIndexSuffix;
    public static bool IsPairIndexBlob(string blobName) => blobName.EndsWith(PairIndexSuffix, StringComparison.Ordinal);
    private const string PairIndexSuffix = ".xxh128.bin";

    /// <summary>datasets/{target}/_content/{contentId}.json: maps the hash of a file's unique rows to the dataset it became,
    /// so a repeat of a file whose rows partly overlapped earlier datasets is recognised.</summary>
    public static string ContentAliasBlob(string target, string contentId) => $"{T(target)}/_content/{Id(contentId)}.json";

    // ---- quarantine/

    /// <summary>quarantine/{target}/{name}: a copy of an unusable file, written create-only.</summary>
    public static string QuarantineBlob(string target, string name) => TargetPrefix(target) + TargetName.ValidateFileName(name);

    /// <summary>quarantine/_reports/{target}/{name}.report.json and .md: why the file is unusable. Reports live under a
    /// prefix no target can have ('_' is not allowed to start a target name), so no upload, whatever its name, can land
    /// on a report; they are written create-only.</summary>
    public static string QuarantineReportBlob(string target, string name) => QuarantineReportsPrefix + QuarantineBlob(target, name) + ".report.json";
    public static string QuarantineReportMarkdownBlob(string target, string name) => QuarantineReportsPrefix + QuarantineBlob(target, name) + ".report.md";
    public const string QuarantineReportsPrefix = "_reports/";

    /// <summary>quarantine/_parked/{target}/{name}.json: a file that ingestion could not finish after its retries (an
    /// infrastructure fault, a broken target profile) and why; the original stays in incoming/ to be ingested again.</summary>
    public static string ParkedBlob(string target, string name) => ParkedPrefix + QuarantineBlob(target, name) + ".json";
    public const string ParkedPrefix = "_parked/";

    // ---- runs/

    /// <summary>runs/{target}/{runId}/</summary>
    public static string RunPrefix(string target, string runId) => $"{T(target)}/{Id(runId)}/";

    /// <summary>runs/{target}/{runId}/status.json: where the run stands; its blob lease makes the run single-owner.</summary>
    public static string RunStatusBlob(string target, string runId) => RunPrefix(target, runId) + "status.json";

    /// <summary>runs/{target}/{runId}/start.json: the starting model, pinned at the run's first attempt.</summary>
    public static string RunStartBlob(string target, string runId) => RunPrefix(target, runId) + "start.json";

    /// <summary>runs/{target}/{runId}/metrics.jsonl: the training log as of the newest uploaded checkpoint.</summary>
    public static string RunMetricsBlob(string target, string runId) => RunPrefix(target, runId) + "metrics.jsonl";

    public static string RunCheckpointsPrefix(string target, string runId) => RunPrefix(target, runId) + "checkpoints/";

    /// <summary>runs/{target}/{runId}/checkpoints/step-NNNNNN/</summary>
    public static string RunCheckpointPrefix(string target, string runId, int step) => RunCheckpointsPrefix(target, runId) + $"step-{step:D6}/";

    /// <summary>Written last into a checkpoint folder (every file's size and SHA-256): no marker, no checkpoint.</summary>
    public const string CheckpointMarkerFile = "_COMPLETE.json";

    /// <summary>The step of "step-NNNNNN/_COMPLETE.json" relative to the checkpoints prefix, or null for any other blob.</summary>
    public static int? CheckpointStepOfMarker(string relativeName) =>
        relativeName.StartsWith("step-", StringComparison.Ordinal) && relativeName.EndsWith("/" + CheckpointMarkerFile, StringComparison.Ordinal)
        && int.TryParse(relativeName.AsSpan(5, relativeName.Length - 5 - CheckpointMarkerFile.Length - 1), out var step)
            ? step : null;

    /// <summary>runs/{target}/_retrain/: the retrain endpoint's records. Run ids never start with '_', so listings of
    /// a target's runs skip it (<see cref="IsRunFolder"/>).</summary>
    public static string RetrainPrefix(string target) => $"{T(target)}/{RetrainFolder}/";

    /// <summary>runs/{target}/_retrain/key-{keyHash}.json: one retrain body (or Idempotency-Key) and the request it became.</summary>
    public static string RetrainKeyBlob(string target, string keyHash) => RetrainPrefix(target) + $"key-{Id(keyHash)}.json";

    /// <summary>runs/{target}/_retrain/cooldown.json: the target's last accepted retrain (the per-target cooldown).</summary>
    public static string RetrainCooldownBlob(string target) => RetrainPrefix(target) + "cooldown.json";

    /// <summary>Whether a folder name under runs/{target}/ is a run (and not the retrain records).</summary>
    public static bool IsRunFolder(string name) => name.Length > 0 && name[0] != '_';

    private const string RetrainFolder = "_retrain";

    // ---- base-models/

    /// <summary>"base-models/{folder}" as a profile names a base model -> the folder's prefix inside the container, or
    /// null when the name is not of that form. A folder that is not a valid file name throws.</summary>
    public static string? BaseModelPrefixOf(string spec) =>
        spec.StartsWith(BaseModels + "/", StringComparison.Ordinal) && spec.Length > BaseModels.Length + 1
            ? TargetName.ValidateFileName(spec[(BaseModels.Length + 1)..].TrimEnd('/')) + "/" : null;

    /// <summary>base-models/{folder}/{file}</summary>
    public static string BaseModelFileBlob(string folder, string file) =>
        $"{TargetName.ValidateFileName(folder)}/{TargetName.ValidateRelativePath(file)}";

    // ---- models/

    /// <summary>models/{target}/v{NNNN}/</summary>
    public static string ModelVersionPrefix(string target, int version) => $"{T(target)}/v{version:D4}/";
    public static string ModelVersionPrefix(ModelVersion version) => ModelVersionPrefix(version.Target, version.Number);

    /// <summary>The first blob of a version folder: whoever creates it owns the number.</summary>
    public static string ModelVersionAllocationBlob(ModelVersion version) => ModelVersionPrefix(version) + VersionAllocationFile;

    /// <summary>The last blob of a version folder: a version without it is still being written.</summary>
    public static string ModelVersionManifestBlob(ModelVersion version) => ModelVersionPrefix(version) + VersionManifestFile;

    /// <summary>A file of a version by its name inside the folder ("model.safetensors", "eval/report.html").</summary>
    public static string ModelVersionFileBlob(ModelVersion version, string relativeName) =>
        ModelVersionPrefix(version) + TargetName.ValidateRelativePath(relativeName);

    public const string VersionAllocationFile = "allocation.json";
    public const string VersionManifestFile = "manifest.json";
    /// <summary>Subfolders of a version: the evaluation report, the training logs, and a LoRA run's merged full model.</summary>
    public const string VersionEvalFolder = "eval/";
    public const string VersionTrainingFolder = "training/";
    public const string VersionMergedFolder = "merged/";

    /// <summary>models/{target}/latest.json</summary>
    public static string ModelLatestBlob(string target) => $"{T(target)}/latest.json";

    /// <summary>models/{target}/index.json and index.html: the target's page (every version, its lineage, gate and metrics),
    /// rebuilt by the worker after each version. The page links each report as "v{NNNN}/eval/report.html".</summary>
    public static string ModelIndexJsonBlob(string target) => TargetPrefix(target) + IndexJsonFile;
    public static string ModelIndexHtmlBlob(string target) => TargetPrefix(target) + IndexHtmlFile;
    public const string IndexJsonFile = "index.json";
    public const string IndexHtmlFile = "index.html";

    /// <summary>A version's HTML report relative to the target's page: "v0001/eval/report.html".</summary>
    public static string VersionReportFromIndex(ModelVersion version) => $"{version.Name}/{VersionEvalFolder}{ReportHtmlFile}";

    private static string T(string target) => TargetName.Validate(target);

    private static string Id(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || id.Contains(".."))
            throw new ArgumentException($"id '{id}' must be ASCII letters, digits, '-', '_' or '.'");
        return id;
    }
}
