// Telemetry of the Functions app: the isolated worker's Application Insights package exports its logs, exceptions and
// invocations (Entra auth from APPLICATIONINSIGHTS_AUTHENTICATION_STRING), OpenTelemetry the pipeline's own spans and
// metrics. The ingest span is a child of the invocation, so the trace id runs from blob event to trained version.
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Telemetry;

namespace Pipeline.Functions.Composition;

public static class FunctionsTelemetryExtensions
{
    /// <summary>The provider the Application Insights SDK logs through.</summary>
    public const string ApplicationInsightsLoggerProvider = "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider";

    public static IServiceCollection AddPipelineFunctionsTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddApplicationInsightsTelemetryWorkerService();
        services.ConfigureFunctionsApplicationInsights();
        // The SDK's default rule sends only warnings and errors from the worker: the ingest outcome is Information.
        services.Configure<LoggerFilterOptions>(options =>
        {
            if (options.Rules.FirstOrDefault(r => r.ProviderName == ApplicationInsightsLoggerProvider) is { } rule)
                options.Rules.Remove(rule);
        });
        return services.AddPipelineTelemetry(configuration, "pipeline-functions", exportLogs: false);
    }
}
