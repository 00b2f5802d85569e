// The trainer's telemetry export (AddPipelineTelemetry, as WorkerHost composes it) against a local stand-in for the
// Application Insights ingestion endpoint: the worker's logs reach it, and a log written during a run carries the
// run span's trace id (operation_Id), which the ingest span and the request message share.
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Telemetry;

namespace Pipeline.Worker.Tests;

public sealed class TelemetryExportTests
{
    /// <summary>Accepts track requests like the ingestion endpoint and keeps every envelope it was sent.</summary>
    private sealed class IngestionStandIn : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public IngestionStandIn()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _loop = Task.Run(LoopAsync);
        }

        public int Port { get; }
        public List<JsonElement> Envelopes { get; } = [];

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) when (!_listener.IsListening) { return; }
                Stream body = context.Request.InputStream;
                if (context.Request.Headers["Content-Encoding"] == "gzip") body = new GZipStream(body, CompressionMode.Decompress);
                var text = await new StreamReader(body, Encoding.UTF8).ReadToEndAsync();
                var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                lock (Envelopes)
                    foreach (var line in lines) Envelopes.Add(JsonDocument.Parse(line).RootElement.Clone());
                var answer = Encoding.UTF8.GetBytes($"{{\"itemsReceived\":{lines.Length},\"itemsAccepted\":{lines.Length},\"errors\":[]}}");
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await context.Response.OutputStream.WriteAsync(answer);
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
        }
    }

    [Fact]
    public async Task Trainer_logs_reach_application_insights_with_the_trace_id_of_the_run_they_belong_to()
    {
        using var ingestion = new IngestionStandIn();
        Environment.SetEnvironmentVariable("APPLICATIONINSIGHTS_STATSBEAT_DISABLED", "true"); // no calls beyond the stand-in
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = $"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:{ingestion.Port}/",
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

        List<JsonElement> envelopes;
        lock (ingestion.Envelopes) envelopes = [.. ingestion.Envelopes];
        string? Kind(JsonElement e) => e.GetProperty("data").GetProperty("baseType").GetString();
        string? OperationId(JsonElement e) => e.GetProperty("tags").TryGetProperty("ai.operation.id", out var id) ? id.GetString() : null;

        string Text(JsonElement e) => e.GetProperty("data").GetProperty("baseData").GetProperty("message").GetString()!;

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
