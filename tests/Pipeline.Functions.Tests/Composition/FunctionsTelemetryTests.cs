// The Functions app's telemetry as Program.cs composes it (AddPipelineFunctionsTelemetry), against a local stand-in
// for the Application Insights ingestion endpoint: the worker's Information logs and exceptions are exported.
using System.Text.Json;
using Microsoft.ApplicationInsights;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Functions.Composition;
using Pipeline.Functions.Ingest;
using Pipeline.Testing;

namespace Pipeline.Functions.Tests.Composition;

public sealed class FunctionsTelemetryTests
{
    [Fact]
    public async Task Function_logs_and_exceptions_reach_application_insights_information_included()
    {
        using var ingestion = new IngestionStandIn();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ingestion.ConnectionString,
            ["Telemetry:EntraAuthentication"] = "false",
        });
        builder.Services.AddPipelineFunctionsTelemetry(builder.Configuration);

        using (var host = builder.Build())
        {
            await host.StartAsync();
            var log = host.Services.GetRequiredService<ILogger<IngestBlobFunction>>();
            log.LogInformation("Ingested {Blob}: {Outcome}", "support-bot/pairs.jsonl", "Accepted");
            log.LogError(new InvalidDataException("storage said no"), "Ingest of {Blob} failed", "support-bot/broken.jsonl");
            await host.Services.GetRequiredService<TelemetryClient>().FlushAsync(CancellationToken.None);

            var message = await ingestion.WaitForAsync(e => IngestionStandIn.Kind(e) == "MessageData"
                && IngestionStandIn.Message(e).Contains("Ingested support-bot/pairs.jsonl"), TimeSpan.FromSeconds(20));
            var exception = await ingestion.WaitForAsync(e => IngestionStandIn.Kind(e) == "ExceptionData"
                && e.GetRawText().Contains("storage said no"), TimeSpan.FromSeconds(20));
            await host.StopAsync();

            Assert.True(message is not null, "no Information log arrived: " + string.Join(", ", ingestion.Received().Select(IngestionStandIn.Kind)));
            Assert.True(exception is not null, "no exception arrived");
        }
    }
}
