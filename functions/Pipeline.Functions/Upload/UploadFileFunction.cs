// HTTP upload: PUT or POST /api/targets/{target}/files/{name} stores the body as incoming/{target}/{name}, create-only.
// The blob trigger then ingests it. 201 created, 200 same content already there, 409 different content, 400 bad name.
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Pipeline.Functions.Access;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Targets;

namespace Pipeline.Functions.Upload;

public sealed class UploadFileFunction(IngestionService ingestion, TargetAuthorizer access)
{
    [Function("UploadFile")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", "post", Route = "targets/{target}/files/{*name}")] HttpRequest request,
        string target, string name, CancellationToken cancellationToken)
    {
        if (await access.RefuseAsync(request, target, TargetOperation.Upload, cancellationToken) is { } refused) return refused;
        var result = await ingestion.UploadAsync(target, name, request.Body, cancellationToken);
        var body = new { outcome = result.Outcome.ToString(), blob = result.BlobName, message = result.Message };
        return result.Outcome switch
        {
            UploadOutcome.Created => new ObjectResult(body) { StatusCode = StatusCodes.Status201Created },
            UploadOutcome.AlreadyExists => new OkObjectResult(body),
            UploadOutcome.Conflict => new ConflictObjectResult(body),
            UploadOutcome.TooLarge => new ObjectResult(body) { StatusCode = StatusCodes.Status413PayloadTooLarge },
            _ => new BadRequestObjectResult(body),
        };
    }
}
