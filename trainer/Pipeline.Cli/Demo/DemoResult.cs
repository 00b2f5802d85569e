// What the demo produced, as typed records: the summary table is rendered from these and the end-to-end test asserts them.
using Pipeline.Shared.Contracts;
using Pipeline.Worker.Reports;

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

/// <summary>A model version with its lineage, the held-out metrics and on-policy rates before and after training, and
/// the gate decision.</summary>
public sealed record DemoVersion(
    string Version,
    string? ParentVersion,
    IReadOnlyList<string> DatasetIds,
    int EvalPairs,
    IReadOnlyDictionary<string, double> MetricsBefore,
    IReadOnlyDictionary<string, double> MetricsAfter,
    PolicyRate? PolicyBefore,
    PolicyRate? PolicyAfter,
    GateDecision Gate,
    string ReportHtmlBlob,
    string LocalReportCopy)
{
    public double? Before(string metric) => MetricsBefore.TryGetValue(metric, out var v) ? v : null;
    public double? After(string metric) => MetricsAfter.TryGetValue(metric, out var v) ? v : null;
}

/// <param name="TargetPageCopy">The local copy of models/{target}/index.html, beside the copies of the reports it links.</param>
public sealed record DemoResult(
    string Target,
    string Storage,
    string State,
    IReadOnlyList<DemoDataset> Datasets,
    IReadOnlyList<DemoVersion> Versions,
    LatestPointer? Latest,
    TargetIndex TargetPage,
    string TargetPageBlob,
    string TargetPageCopy,
    TimeSpan Elapsed);
