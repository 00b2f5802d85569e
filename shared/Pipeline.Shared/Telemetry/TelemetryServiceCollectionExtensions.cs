// AddPipelineTelemetry: OpenTelemetry tracing and metrics for the "Pipeline" source and meter, exported to
// Application Insights when configured (Entra ID auth through a managed identity) and to the console locally.
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
    /// Options come from section "Telemetry"; the exporter is chosen and validated here, at start.
    /// </summary>
    public static IServiceCollection AddPipelineTelemetry(
        this IServiceCollection services, IConfiguration configuration, string serviceName)
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
                var credential = Credential(options);
                otel.WithTracing(t => t.AddAzureMonitorTraceExporter(o => Configure(o, options, credential)))
                    .WithMetrics(m => m.AddAzureMonitorMetricExporter(o => Configure(o, options, credential)));
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

    private static void Configure(AzureMonitorExporterOptions o, PipelineTelemetryOptions options, TokenCredential credential)
    {
        o.ConnectionString = options.ApplicationInsightsConnectionString;
        o.Credential = credential;
    }
}
