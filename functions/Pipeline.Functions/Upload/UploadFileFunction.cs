// HTTP upload: PUT or POST /api/targets/{target}/files/{name} stores the body as incoming/{target}/{name}, create-only,
// within the target's own size limit (max_file_bytes of its profile). A file larger than the host takes (its request
// limit is 100 MiB) is declared instead, `?bytes=N` with no body: the answer is 202 with a short-lived create-only SAS
// to PUT it straight into blob storage. Either way Event Grid then ingests it.
// 201 created, 200 same content already there, 202 upload to uploadUrl, 409 exists, 413 over the target's limit, 400 bad name.
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Pipeline.Functions.Access;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;

namespace Pipeline.Functions.Upload;

public sealed class UploadFileFunction(IngestionService ingestion, BlobServiceClient blobs, DirectUploadSas sas, IOptions<UploadOptions> options,
    TargetAuthorizer access)
{
    /// <summary>Query parameter that declares the size of a file sent straight to storage.</summary>
    public const string DeclaredBytesParameter = "bytes";

    [Function("UploadFile")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", "post", Route = "targets/{target}/files/{*name}")] HttpRequest request,
        string target, string name, CancellationToken cancellationToken)
    {
        if (await access.RefuseAsync(request, target, TargetOperation.Upload, cancellationToken) is { } refused) return refused;
        if (request.Query.TryGetValue(DeclaredBytesParameter, out var declared))
        {
            if (!long.TryParse(declared, out var bytes) || bytes < 0)
                return new BadRequestObjectResult(new { outcome = "InvalidSize", message = $"{DeclaredBytesParameter}={declared} is not a size in bytes" });
            if (bytes > options.Value.DirectUploadAboveBytes)
                return await DirectUploadAsync(target, name, bytes, cancellationToken);
        }
        else if (request.ContentLength > options.Value.DirectUploadAboveBytes)
        {
            return await DirectUploadAsync(target, name, request.ContentLength.Value, cancellationToken);
        }

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

    private async Task<IActionResult> DirectUploadAsync(string target, string name, long bytes, CancellationToken ct)
    {
        if ((TargetName.Problem(target) ?? TargetName.FileNameProblem(name)) is { } problem)
            return new BadRequestObjectResult(new { outcome = nameof(UploadOutcome.InvalidName), message = problem });
        var blobName = StorageLayout.IncomingBlob(target, name);
        var limit = (await ingestion.TargetProfileAsync(target, ct)).MaxFileBytes;
        if (bytes > limit)
            return new ObjectResult(new { outcome = nameof(UploadOutcome.TooLarge), blob = blobName, message = $"the file is {bytes} bytes, over the size limit of {limit} bytes of {target} (max_file_bytes)" })
            { StatusCode = StatusCodes.Status413PayloadTooLarge };
        var container = blobs.GetBlobContainerClient(StorageLayout.Incoming);
        await container.CreateIfNotExistsAsync(cancellationToken: ct);
        var blob = container.GetBlobClient(blobName);
        if (await blob.ExistsAsync(ct))
            return new ConflictObjectResult(new { outcome = nameof(UploadOutcome.Conflict), blob = blobName, message = $"{StorageLayout.Incoming}/{blobName} already exists; upload under another name" });

        var upload = await sas.CreateAsync(blob, ct);
        return new ObjectResult(new
        {
            outcome = "DirectUpload",
            blob = blobName,
            uploadUrl = upload.Url.ToString(),
            method = "PUT",
            headers = new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob", ["If-None-Match"] = "*" },
            expiresOn = upload.ExpiresOn,
            maxBytes = limit,
            message = $"PUT the {bytes} bytes to uploadUrl in one request before {upload.ExpiresOn:u} (Put Blob, up to 5000 MiB); it is ingested when it lands",
        })
        { StatusCode = StatusCodes.Status202Accepted };
    }
}
