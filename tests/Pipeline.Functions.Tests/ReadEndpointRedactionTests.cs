// Read endpoints never hand out the deployment's local paths or host names: a report whose tokenizer is a local folder,
// a run status written by a worker on this machine with a path in its reason.
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Functions.Reports;
using Pipeline.Functions.Runs;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Testing;

namespace Pipeline.Functions.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class ReadEndpointRedactionTests(AzuriteFixture azurite) : IDisposable
{
    private readonly FunctionTestHost _host = new(azurite);

    [Fact]
    public async Task A_dataset_report_does_not_show_the_local_tokenizer_folder()
    {
        var target = FunctionTestHost.NewTarget();
        var blobs = azurite.BlobService();
        await blobs.GetBlobContainerClient(StorageLayout.Config).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(StorageLayout.Config).GetBlobClient(StorageLayout.TargetProfileBlob(target))
            .UploadAsync(BinaryData.FromString($$"""{ "tokenizer": "{{RepoPaths.TinyLlama}}", "max_length": 512 }"""));
        var ingestion = _host.Get<IngestionService>();
        await ingestion.UploadAsync(target, "f.jsonl", new MemoryStream(Encoding.UTF8.GetBytes(PreferenceFiles.Pairs(10))));
        var result = await ingestion.IngestAsync(target, "f.jsonl");
        Assert.Equal(RepoPaths.TinyLlama, result.Report!.Tokenizer); // stored as configured

        var read = Assert.IsType<ContentResult>(await _host.Get<GetReportFunction>().Run(new DefaultHttpContext().Request, target, result.DatasetId!, default));

        Assert.DoesNotContain(RepoPaths.TinyLlama, read.Content);
        Assert.Contains(PublicJson.PathMark, read.Content);
        Assert.Equal(10, ValidationReportRows(read.Content!));
    }

    [Fact]
    public async Task A_run_status_does_not_show_the_workers_host_or_local_paths()
    {
        var target = FunctionTestHost.NewTarget();
        var blobs = azurite.BlobService();
        await blobs.GetBlobContainerClient(StorageLayout.Runs).CreateIfNotExistsAsync();
        var now = DateTimeOffset.UtcNow;
        await new RunStore(blobs).TryCreateStatusAsync(new RunStatus
        {
            State = RunState.Queued, Target = target, RunId = "run-x", RequestId = "req-x", DatasetIds = ["ds-a"],
            WorkerId = $"{Environment.MachineName}-4242",
            Reason = $"attempt 1 failed (IOException: Could not find file '/var/lib/pipeline/work/run-x/model.safetensors' on {Environment.MachineName}); it will be retried",
            CreatedAt = now, UpdatedAt = now,
        }, default);
        var functions = ActivatorUtilities.CreateInstance<RunsFunctions>(_host.Services);

        var read = Assert.IsType<ContentResult>(await functions.GetRun(new DefaultHttpContext().Request, target, "run-x", default));

        Assert.DoesNotContain("/var/lib", read.Content);
        Assert.DoesNotContain(Environment.MachineName + "-", read.Content, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("it will be retried", read.Content);
        Assert.Contains("\"run_id\": \"run-x\"", read.Content);
    }

    private static long ValidationReportRows(string json) => Pipeline.Shared.Datasets.ValidationReport.FromJson(json).RowsAccepted;

    public void Dispose() => _host.Dispose();
}
