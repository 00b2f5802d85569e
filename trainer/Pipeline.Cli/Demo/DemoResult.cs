// What the demo produced, as typed records: the summary table is rendered from these and the end-to-end test asserts them.
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;

namespace Pipeline.Cli.Demo;

/// <summary>A generated file and the dataset ingestion made of it (report at datasets/{target}/{id}/report.json).</summary>
public sealed record DemoDataset(
    string File,
    string DatasetId,
    string RequestId,
    long RowsAccepted,
    long RowsRejected,
    long TrainRows,
    long EvalRows,
    string ReportBlob);

/// <summary>A model version with its lineage, the held-out metrics before and after training, and the gate decision.</summary>
public sealed record DemoVersion(
    string Version,
    string? ParentVersion,
    IReadOnlyList<string> DatasetIds,
    IReadOnlyDictionary<string, double> MetricsBefore,
    IReadOnlyDictionary<string, double> MetricsAfter,
    GateDecision Gate,
    string ReportHtmlBlob,
    string LocalReportCopy)
{
    public double? Before(string metric) => MetricsBefore.TryGetValue(metric, out var v) ? v : null;
    public double? After(string metric) => MetricsAfter.TryGetValue(metric, out var v) ? v : null;
}

public sealed record DemoResult(
    string Target,
    string Storage,
    string State,
    IReadOnlyList<DemoDataset> Datasets,
    IReadOnlyList<DemoVersion> Versions,
    LatestPointer? Latest,
    TimeSpan Elapsed);
