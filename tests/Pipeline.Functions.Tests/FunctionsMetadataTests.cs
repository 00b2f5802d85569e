// The Worker SDK's generated functions.metadata is what the Functions host reads: every function, with its bindings.
using System.Text.Json;
using Pipeline.Testing;

namespace Pipeline.Functions.Tests;

public sealed class FunctionsMetadataTests
{
    private static JsonElement Function(string name)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "functions.metadata"),
            Path.Combine(RepoPaths.Root, "functions", "Pipeline.Functions", "bin", configuration, "net10.0", "functions.metadata"),
        };
        var path = candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException($"functions.metadata not found in {string.Join(" or ", candidates)}");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().Single(f => f.GetProperty("name").GetString() == name).Clone();
    }

    private static JsonElement Binding(JsonElement function, string type) =>
        function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == type);

    [Fact]
    public void Metadata_lists_the_blob_trigger_on_incoming_target_name()
    {
        var trigger = Binding(Function("IngestBlob"), "blobTrigger");
        Assert.Equal("incoming/{target}/{name}", trigger.GetProperty("path").GetString());
        Assert.Equal("PipelineStorage", trigger.GetProperty("connection").GetString());
    }

    [Fact]
    public void Metadata_sources_the_blob_trigger_from_event_grid_as_flex_consumption_requires()
    {
        // Flex Consumption runs no polling blob trigger: without "source": "EventGrid" ingestion never fires there.
        var trigger = Binding(Function("IngestBlob"), "blobTrigger");

        Assert.True(trigger.TryGetProperty("source", out var source), "blobTrigger has no source: " + trigger.GetRawText());
        Assert.Equal("EventGrid", source.GetString());
    }

    [Fact]
    public void Metadata_lists_the_upload_function_with_its_route_and_methods()
    {
        var trigger = Binding(Function("UploadFile"), "httpTrigger");
        Assert.Equal("targets/{target}/files/{*name}", trigger.GetProperty("route").GetString());
        Assert.Equal(["put", "post"], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public void Metadata_lists_the_report_function_with_its_route()
    {
        var trigger = Binding(Function("GetReport"), "httpTrigger");
        Assert.Equal("targets/{target}/datasets/{datasetId}/report", trigger.GetProperty("route").GetString());
        Assert.Equal(["get"], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }
}
