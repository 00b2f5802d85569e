// The function classes called directly against Azurite (the Functions host cannot run here), as thin shells
// over the ingestion service: upload over HTTP, the blob trigger's ingest, and the report read.
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Pipeline.Functions.Ingest;
using Pipeline.Functions.Reports;
using Pipeline.Functions.Upload;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using static Pipeline.Functions.Tests.FunctionTestHost;

namespace Pipeline.Functions.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class FunctionsTests(AzuriteFixture azurite) : IDisposable
{
    private readonly FunctionTestHost _host = new(azurite);

    [Fact]
    public async Task Upload_then_blob_trigger_then_report_runs_the_whole_ingest()
    {
        var target = FunctionTestHost.NewTarget();

        var upload = await _host.Get<UploadFileFunction>().Run(Body(Pairs(12)), target, "batch-1.jsonl", default);
        Assert.Equal(StatusCodes.Status201Created, Assert.IsType<ObjectResult>(upload).StatusCode);

        var blob = _host.Storage.BlobService().GetBlobContainerClient(StorageLayout.Incoming).GetBlobClient(StorageLayout.IncomingBlob(target, "batch-1.jsonl"));
        var result = await _host.Get<IngestBlobFunction>().Run(blob, target, "batch-1.jsonl", default);
        Assert.Equal(IngestOutcome.Accepted, result.Outcome);
        var request = Assert.Single(await _host.RequestsFor(target));
        Assert.Equal(result.DatasetId, request.DatasetIds.Single());

        var read = await _host.Get<GetReportFunction>().Run(new DefaultHttpContext().Request, target, result.DatasetId!, default);
        var content = Assert.IsType<ContentResult>(read);
        Assert.Equal(12, ValidationReport.FromJson(content.Content!).RowsAccepted);
    }

    [Fact]
    public async Task Blob_trigger_fired_twice_for_the_same_file_publishes_once()
    {
        var target = FunctionTestHost.NewTarget();
        await _host.Get<UploadFileFunction>().Run(Body(Pairs(10)), target, "f.jsonl", default);
        var blob = _host.Storage.BlobService().GetBlobContainerClient(StorageLayout.Incoming).GetBlobClient(StorageLayout.IncomingBlob(target, "f.jsonl"));

        var first = await _host.Get<IngestBlobFunction>().Run(blob, target, "f.jsonl", default);
        var second = await _host.Get<IngestBlobFunction>().Run(blob, target, "f.jsonl", default);

        Assert.Equal((IngestOutcome.Accepted, IngestOutcome.AlreadyIngested), (first.Outcome, second.Outcome));
        Assert.Single(await _host.RequestsFor(target));
    }

    [Fact]
    public async Task Blob_trigger_quarantines_a_bad_file_and_keeps_the_original()
    {
        var target = FunctionTestHost.NewTarget();
        await _host.Get<UploadFileFunction>().Run(Body("not json\n"), target, "bad.jsonl", default);
        var blob = _host.Storage.BlobService().GetBlobContainerClient(StorageLayout.Incoming).GetBlobClient(StorageLayout.IncomingBlob(target, "bad.jsonl"));

        var result = await _host.Get<IngestBlobFunction>().Run(blob, target, "bad.jsonl", default);

        Assert.Equal(IngestOutcome.Quarantined, result.Outcome);
        Assert.True(await blob.ExistsAsync());
        var quarantine = _host.Storage.BlobService().GetBlobContainerClient(StorageLayout.Quarantine);
        Assert.True(await quarantine.GetBlobClient(StorageLayout.QuarantineReportBlob(target, "bad.jsonl")).ExistsAsync());
        Assert.Empty(await _host.RequestsFor(target));
    }

    [Theory]
    [InlineData("Bad_Target", "f.jsonl", StatusCodes.Status400BadRequest)]
    [InlineData("ok", "../escape.jsonl", StatusCodes.Status400BadRequest)]
    public async Task Upload_refuses_bad_names_with_400(string target, string name, int status)
    {
        var result = await _host.Get<UploadFileFunction>().Run(Body(Pairs(1)), target, name, default);
        Assert.Equal(status, Assert.IsType<BadRequestObjectResult>(result).StatusCode);
    }

    [Fact]
    public async Task Upload_never_overwrites_and_answers_409_for_different_content()
    {
        var target = FunctionTestHost.NewTarget();
        var upload = _host.Get<UploadFileFunction>();
        await upload.Run(Body(Pairs(2)), target, "f.jsonl", default);
        Assert.IsType<OkObjectResult>(await upload.Run(Body(Pairs(2)), target, "f.jsonl", default));
        Assert.IsType<ConflictObjectResult>(await upload.Run(Body(Pairs(3)), target, "f.jsonl", default));
    }

    [Fact]
    public async Task Get_report_answers_404_for_an_unknown_dataset()
    {
        var result = await _host.Get<GetReportFunction>().Run(new DefaultHttpContext().Request, "nobody", "ds-0000000000000000", default);
        Assert.IsType<NotFoundObjectResult>(result);
    }

    public void Dispose() => _host.Dispose();
}
