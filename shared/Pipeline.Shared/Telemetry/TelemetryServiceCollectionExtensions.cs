// AddPipelineTelemetry: OpenTelemetry tracing and metrics for the "Pipeline" source and meter, and the host's logs,
// exported to Application Insights when configured (Entra ID auth through a managed identity) and to the console
// locally. A log written inside a span carries its trace id (operation_Id), so ingest, queue hop, run and its logs
// come back in one query.
using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Pipeline.Shared.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Registers OpenTelemetry for <paramref name="serviceName"/> ("pipeline-functions", "pipeline-trainer").
    /// Options come from section "Telemetry"; the exporter is chosen and validated here, at start. With
    /// <paramref name="exportLogs"/> the host's ILogger output goes to Application Insights too (the trainer); the
    /// Functions host leaves that to the isolated worker's Application Insights package.
    /// </summary>
    public static IServiceCollection AddPipelineTelemetry(
        this IServiceCollection services, IConfiguration configuration, string serviceName, bool exportLogs = true)
    {
        var section = configuration.GetSection(PipelineTelemetryOptions.Section);
        var bound = section.Get<PipelineTelemetryOptions>() ?? new PipelineTelemetryOptions();
        var options = bound with
        {
            ApplicationInsightsConnectionString = bound.ApplicationInsightsConnectionString
                ?? configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"],
            ManagedIdentityClientId = bound.ManagedIdentityClientId ?? configuration["AZURE_CLIENT_ID"],
        };
        var exporter = options.Exporter();
        services.AddSingleton(options);

        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t => t.AddSource(PipelineTelemetry.Name))
            .WithMetrics(m => m.AddMeter(PipelineTelemetry.Name));

        switch (exporter)
        {
            case TelemetryExporter.AzureMonitor:
                var credential = options.EntraAuthentication ? Credential(options) : null;
                otel.WithTracing(t => t.AddAzureMonitorTraceExporter(o => Configure(o, options, credential)))
                    .WithMetrics(m => m.AddAzureMonitorMetricExporter(o => Configure(o, options, credential)));
                if (exportLogs)
                    otel.WithLogging(l => l.AddAzureMonitorLogExporter(o => Configure(o, options, credential)),
                        // The rendered message reads in the portal; template values and the run's scope stay as properties.
                        o => { o.IncludeFormattedMessage = true; o.IncludeScopes = true; });
                break;
            case TelemetryExporter.Console:
                otel.WithTracing(t => t.AddConsoleExporter()).WithMetrics(m => m.AddConsoleExporter());
                break;
        }
        return services;
    }

    private static TokenCredential Credential(PipelineTelemetryOptions options) =>
        string.IsNullOrWhiteSpace(options.ManagedIdentityClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId));

    private static void Configure(AzureMonitorExporterOptions o, PipelineTelemetryOptions options, TokenCredential? credential)
    {
        o.ConnectionString = options.ApplicationInsightsConnectionString;
        o.Credential = credential;
        // Every pipeline span is kept (a few per file and run): rate-limited sampling would break a trace in the middle.
        o.TracesPerSecond = null;
        o.SamplingRatio = 1.0F;
    }
}
