// Options of the telemetry component (section "Telemetry"): where traces and metrics go.
namespace Pipeline.Shared.Telemetry;

public sealed record PipelineTelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>
    /// Application Insights connection string (not a secret: it names the resource; with local auth disabled the
    /// exporter authenticates with Entra ID). Falls back to APPLICATIONINSIGHTS_CONNECTION_STRING.
    /// </summary>
    public string? ApplicationInsightsConnectionString { get; init; }

    /// <summary>Client id of the user-assigned managed identity that exports to Application Insights (AZURE_CLIENT_ID).</summary>
    public string? ManagedIdentityClientId { get; init; }

    /// <summary>Write spans and metrics to the console when Application Insights is not configured.</summary>
    public bool ConsoleWhenLocal { get; init; } = true;

    /// <summary>Authenticate the export with Entra ID (the deployment disables local auth). False only for a resource
    /// that accepts its instrumentation key alone, or a local collector over plain HTTP.</summary>
    public bool EntraAuthentication { get; init; } = true;

    /// <summary>Which exporter these options select, after validation.</summary>
    public TelemetryExporter Exporter()
    {
        if (!string.IsNullOrWhiteSpace(ApplicationInsightsConnectionString))
        {
            if (!ApplicationInsightsConnectionString.Contains("InstrumentationKey=", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException(
                    $"{Section}:{nameof(ApplicationInsightsConnectionString)} has no InstrumentationKey=...; copy it from the Application Insights resource.");
            return TelemetryExporter.AzureMonitor;
        }
        return ConsoleWhenLocal ? TelemetryExporter.Console : TelemetryExporter.None;
    }
}

public enum TelemetryExporter
{
    None,
    Console,
    AzureMonitor,
}
