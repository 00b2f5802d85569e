// HTTP read: GET /api/targets/{target}/datasets/{datasetId}/report returns the dataset's report.json (local paths and
// host names taken out, e.g. a profile's tokenizer folder), or 404.
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Pipeline.Functions.Access;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Targets;

namespace Pipeline.Functions.Reports;

public sealed class GetReportFunction(IngestionService ingestion, TargetAuthorizer access)
{
    [Function("GetReport")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "targets/{target}/datasets/{datasetId}/report")] HttpRequest request,
        string target, string datasetId, CancellationToken cancellationToken)
    {
        if (await access.RefuseAsync(request, target, TargetOperation.Read, cancellationToken) is { } refused) return refused;
        var report = await ingestion.GetReportAsync(target, datasetId, cancellationToken);
        return report is null
            ? new NotFoundObjectResult(new { message = $"no dataset {datasetId} for target {target}" })
            : new ContentResult { Content = PublicJson.Redact(report.ToJson()), ContentType = "application/json", StatusCode = StatusCodes.Status200OK };
    }
}
