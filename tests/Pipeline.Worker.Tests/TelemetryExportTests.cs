// The trainer's telemetry export (AddPipelineTelemetry, as WorkerHost composes it) against a local stand-in for the
// Application Insights ingestion endpoint: the worker's logs reach it, and a log written during a run carries the
// run span's trace id (operation_Id), which the ingest span and the request message share.
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Telemetry;
using Pipeline.Testing;

namespace Pipeline.Worker.Tests;

public sealed class TelemetryExportTests
{
    [Fact]
    public async Task Trainer_logs_reach_application_insights_with_the_trace_id_of_the_run_they_belong_to()
    {
        using var ingestion = new IngestionStandIn();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ingestion.ConnectionString,
            // Entra tokens are never sent over plain HTTP; Azure authenticates the same export with the managed identity.
            ["Telemetry:EntraAuthentication"] = "false",
        });
        builder.Services.AddPipelineTelemetry(builder.Configuration, "pipeline-trainer");
        var request = new TrainingRequest
        {
            RequestId = "req-telemetry", Target = "support-bot", DatasetIds = ["ds-1"],
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };

        using (var host = builder.Build())
        {
            await host.StartAsync();
            var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Pipeline.Worker.RunExecutor");
            using (var run = request.StartConsumerActivity())
            {
                Assert.NotNull(run);
                log.LogInformation("Run {RunId} of {Target} wrote version {Version}", "run-1", request.Target, "v0007");
            }
            await host.StopAsync();
        } // disposing the providers flushes every exporter

        var envelopes = ingestion.Received();
        string? Kind(JsonElement e) => IngestionStandIn.Kind(e);
        string? OperationId(JsonElement e) => IngestionStandIn.OperationId(e);
        string Text(JsonElement e) => IngestionStandIn.Message(e);

        var message = Assert.Single(envelopes, e => Kind(e) == "MessageData" && Text(e).Contains("wrote version"));
        Assert.Equal("Run run-1 of support-bot wrote version v0007", Text(message));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", OperationId(message));
        var span = Assert.Single(envelopes, e => Kind(e) == "RequestData");
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", OperationId(span));
        // Kept whole, not sampled: a sampled-out span would cut the ingest-to-version trace.
        var sampleRate = span.GetProperty("data").GetProperty("baseData").GetProperty("properties").TryGetProperty("microsoft.sample_rate", out var rate)
            ? double.Parse(rate.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : 100;
        Assert.Equal(100, sampleRate);
    }
}
