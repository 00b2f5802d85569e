// HTTP functions over the trainer's runs and versions: list a target's runs, get one run's status, list a target's
// model versions (with latest), and request a retrain. Each binds, calls RunsCatalog, maps the result.
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Targets;

namespace Pipeline.Functions.Runs;

public sealed class RunsFunctions(RunsCatalog catalog)
{
    [Function("ListRuns")]
    public async Task<IActionResult> ListRuns(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "targets/{target}/runs")] HttpRequest request,
        string target, CancellationToken cancellationToken)
    {
        if (TargetName.Problem(target) is { } problem) return new BadRequestObjectResult(new { message = problem });
        return Json(await catalog.ListRunsAsync(target, cancellationToken));
    }

    [Function("GetRun")]
    public async Task<IActionResult> GetRun(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "targets/{target}/runs/{runId}")] HttpRequest request,
        string target, string runId, CancellationToken cancellationToken)
    {
        RunStatus? status;
        try
        {
            status = await catalog.GetRunAsync(target, runId, cancellationToken);
        }
        catch (ArgumentException e)
        {
            return new BadRequestObjectResult(new { message = e.Message });
        }
        return status is null ? new NotFoundObjectResult(new { message = $"no run {runId} for target {target}" }) : Json(status);
    }

    [Function("ListVersions")]
    public async Task<IActionResult> ListVersions(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "targets/{target}/models")] HttpRequest request,
        string target, CancellationToken cancellationToken)
    {
        if (TargetName.Problem(target) is { } problem) return new BadRequestObjectResult(new { message = problem });
        return Json(await catalog.ListVersionsAsync(target, cancellationToken));
    }

    /// <summary>Body (optional): {"dataset_ids": ["..."]}; without it, every dataset of the target. 202 with the run to watch.</summary>
    [Function("RequestRetrain")]
    public async Task<IActionResult> RequestRetrain(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "targets/{target}/retrain")] HttpRequest request,
        string target, CancellationToken cancellationToken)
    {
        IReadOnlyList<string>? datasetIds = null;
        var text = await new StreamReader(request.Body).ReadToEndAsync(cancellationToken);
        if (!string.IsNullOrWhiteSpace(text))
        {
            try
            {
                var node = JsonNode.Parse(text);
                datasetIds = node?["dataset_ids"]?.AsArray().Select(d => d!.GetValue<string>()).ToList();
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                return new BadRequestObjectResult(new { message = $"body must be {{\"dataset_ids\": [\"...\"]}} or empty: {e.Message}" });
            }
        }
        var result = await catalog.RequestRetrainAsync(target, datasetIds, cancellationToken);
        if (result.Request is null) return new BadRequestObjectResult(new { message = result.Problem });
        return new AcceptedResult($"/api/targets/{target}/runs/{result.RunId}", new
        {
            request_id = result.Request.RequestId, run_id = result.RunId, dataset_ids = result.Request.DatasetIds,
        });
    }

    /// <summary>The trainer's own JSON conventions (snake_case), so a status reads the same here as in storage.</summary>
    private static ContentResult Json<T>(T value) =>
        new() { Content = PublicJson.Redact(ContractJson.Serialize(value)), ContentType = "application/json", StatusCode = StatusCodes.Status200OK };
}
