// Blob trigger on incoming/{target}/{name} fed by Event Grid (Flex Consumption has no polling blob trigger): hands the
// file to the ingestion service. Bad data ends in quarantine with a report; any other failure on this file (storage,
// queue, a broken target profile) is retried with back-off inside the invocation and then parked with its reason, so
// one file never poisons the host. The original is never touched.
using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Pipeline.Functions.Composition;
using Pipeline.Shared.Ingestion;

namespace Pipeline.Functions.Ingest;

public sealed class IngestBlobFunction(IngestionService ingestion, IngestionRetryOptions retry, ILogger<IngestBlobFunction> log)
{
    [Function("IngestBlob")]
    public async Task<IngestionResult> Run(
        [BlobTrigger("incoming/{target}/{name}", Source = BlobTriggerSource.EventGrid, Connection = PipelineFunctionsExtensions.ConnectionSetting)]
        BlobClient blob,
        string target, string name, CancellationToken cancellationToken)
    {
        var result = await ingestion.IngestOrParkAsync(target, name, retry, cancellationToken);
        log.LogInformation("Ingested {Blob}: {Outcome} {DatasetId} {RequestId} {Message}", blob.Name, result.Outcome, result.DatasetId, result.RequestId, result.Message);
        return result;
    }
}
