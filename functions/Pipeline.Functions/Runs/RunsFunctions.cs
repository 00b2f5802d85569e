// HTTP functions over the trainer's runs and versions: list a target's runs, get one run's status, list a target's
// model versions (with latest), and request a retrain. Each checks the caller's access to the target, binds, calls
// RunsCatalog or RetrainService, and maps the result.
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Pipeline.Functions.Access;
using Pipeline.Functions.Http;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Targets;

namespace Pipeline.Functions.Runs;

public sealed class RunsFunctions(RunsCatalog catalog, RetrainService retrain, TargetAuthorizer access, IOptions<RetrainOptions> retrainOptions)
{
    /// <summary>Header naming a retrain for idempotency (IETF draft "The Idempotency-Key HTTP Header Field").</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    [Function("ListRuns")]
    public async Task<IActionResult> ListRuns(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "targets/{target}/runs")] HttpRequest request,
        string target, CancellationToken cancellationToken)
    {
        if (await access.RefuseAsync(request, target, TargetOperation.Read, cancellationToken) is { } refused) return refused;
        return Json(await catalog.ListRunsAsync(target, cancellationToken));
    }

    [Function("GetRun")]
    public async Task<IActionResult> GetRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "targets/{target}/runs/{runId}")] HttpRequest request,
        string target, string runId, CancellationToken cancellationToken)
    {
        if (await access.RefuseAsync(request, target, TargetOperation.Read, cancellationToken) is { } refused) return refused;
        RunStatus? status;
        try
        {
            status = await catalog.GetRunAsync(target, runId, cancellationToken);
        }
        catch (ArgumentException e)
        {
            return new BadRequestObjectResult(new { error = "invalid_run_id", message = e.Message });
        }
        return status is null ? new NotFoundObjectResult(new { error = "not_found", message = $"no run {runId} for target {target}" }) : Json(status);
    }

    [Function("ListVersions")]
    public async Task<IActionResult> ListVersions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "targets/{target}/models")] HttpRequest request,
        string target, CancellationToken cancellationToken)
    {
        if (await access.RefuseAsync(request, target, TargetOperation.Read, cancellationToken) is { } refused) return refused;
        return Json(await catalog.ListVersionsAsync(target, cancellationToken));
    }

    /// <summary>Body (optional): {"dataset_ids": ["..."]}; without it, every dataset of the target. Header (optional):
    /// Idempotency-Key. 202 with the run to watch (the same run again for a repeat within the window); 400, 413, 422
    /// or 429 with {"error", "message"}.</summary>
    [Function("RequestRetrain")]
    public async Task<IActionResult> RequestRetrain(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "targets/{target}/retrain")] HttpRequest request,
        string target, CancellationToken cancellationToken)
    {
        if (await access.RefuseAsync(request, target, TargetOperation.Retrain, cancellationToken) is { } refused) return refused;
        string? key = null;
        if (request.Headers.TryGetValue(IdempotencyKeyHeader, out var keys))
        {
            key = keys.Count == 1 ? keys[0] ?? "" : "";
            if (RetrainService.KeyProblem(key) is { } keyProblem)
                return new ApiError(StatusCodes.Status400BadRequest, "invalid_idempotency_key", keyProblem).ToResult();
        }
        var (body, error) = await RetrainBody.ReadAsync(request.Body, retrainOptions.Value.MaxDatasetIds, cancellationToken);
        if (error is not null) return error.ToResult();

        var result = await retrain.RequestAsync(target, body!, key, cancellationToken);
        if (result.Outcome == RetrainOutcome.Refused)
        {
            if (result.RetryAfter is { } wait) request.HttpContext.Response.Headers.RetryAfter = ((int)wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return result.Error!.ToResult();
        }
        var run = result.Request!;
        return new AcceptedResult($"/api/targets/{target}/runs/{run.RunId}", new
        {
            request_id = run.RequestId, run_id = run.RunId, dataset_ids = run.DatasetIds, replayed = result.Outcome == RetrainOutcome.Replayed,
        });
    }

    /// <summary>The trainer's own JSON conventions (snake_case), so a status reads the same here as in storage.</summary>
    private static ContentResult Json<T>(T value) =>
        new() { Content = PublicJson.Redact(ContractJson.Serialize(value)), ContentType = "application/json", StatusCode = StatusCodes.Status200OK };
}
