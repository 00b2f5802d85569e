// AddPipelineTelemetry picks the exporter from configuration, validates it at start, and subscribes the SDK to
// the "Pipeline" source so spans are sampled.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Pipeline.Shared.Telemetry;

namespace Pipeline.Shared.Tests.Telemetry;

[Collection(TelemetryCollection.Name)]
public sealed class AddPipelineTelemetryTests
{
    private const string ConnectionString =
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/";

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    [Fact]
    public void Console_exporter_is_chosen_when_no_connection_string_is_configured()
    {
        var services = new ServiceCollection().AddPipelineTelemetry(Config(), "pipeline-test");

        using var sp = services.BuildServiceProvider();

        Assert.Equal(TelemetryExporter.Console, sp.GetRequiredService<PipelineTelemetryOptions>().Exporter());
    }

    [Fact]
    public void Application_insights_is_chosen_from_the_standard_environment_variable()
    {
        var services = new ServiceCollection().AddPipelineTelemetry(
            Config(("APPLICATIONINSIGHTS_CONNECTION_STRING", ConnectionString), ("AZURE_CLIENT_ID", "11111111-1111-1111-1111-111111111111")),
            "pipeline-test");

        using var sp = services.BuildServiceProvider();
        var options = sp.GetRequiredService<PipelineTelemetryOptions>();

        Assert.Equal(TelemetryExporter.AzureMonitor, options.Exporter());
        Assert.Equal("11111111-1111-1111-1111-111111111111", options.ManagedIdentityClientId);
        Assert.NotNull(sp.GetRequiredService<TracerProvider>());
    }

    [Fact]
    public void Connection_string_without_instrumentation_key_is_rejected_at_start_with_the_setting_name()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddPipelineTelemetry(
            Config(("Telemetry:ApplicationInsightsConnectionString", "Endpoint=https://example")), "pipeline-test"));

        Assert.Contains("Telemetry:ApplicationInsightsConnectionString", error.Message);
    }

    [Fact]
    public void Tracer_provider_samples_spans_of_the_pipeline_source()
    {
        var services = new ServiceCollection().AddPipelineTelemetry(
            Config(("Telemetry:ConsoleWhenLocal", "false")), "pipeline-test");
        using var sp = services.BuildServiceProvider();

        _ = sp.GetRequiredService<TracerProvider>();
        using var activity = PipelineTelemetry.Source.StartActivity("ingest.validate");

        Assert.NotNull(activity);
        Assert.True(activity.Recorded);
    }
}
