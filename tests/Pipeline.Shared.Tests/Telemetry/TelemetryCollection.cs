// Telemetry tests share the static "Pipeline" ActivitySource and Meter: run them one at a time.
namespace Pipeline.Shared.Tests.Telemetry;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}
