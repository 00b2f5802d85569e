// Builds the functions' real composition (AddPipelineFunctions) against the test's Azurite, as the host would.
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Functions.Composition;
using Pipeline.Functions.Ingest;
using Pipeline.Functions.Reports;
using Pipeline.Functions.Upload;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Testing;

namespace Pipeline.Functions.Tests;

internal sealed class FunctionTestHost : IDisposable
{
    private readonly ServiceProvider _services;

    public FunctionTestHost(AzuriteFixture azurite, Dictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [PipelineFunctionsExtensions.ConnectionSetting] = azurite.ConnectionString,
                ["Access:Mode"] = "Local", // these tests are about ingestion; access has its own (Access/TargetAccessTests)
            })
            .AddInMemoryCollection(settings ?? [])
            .Build();
        var services = new ServiceCollection().AddLogging();
        services.AddPipelineFunctions(configuration);
        services.AddTransient<IngestBlobFunction>().AddTransient<UploadFileFunction>().AddTransient<GetReportFunction>();
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        Storage = _services.GetRequiredService<StorageOptions>();
    }

    public StorageOptions Storage { get; }
    public IServiceProvider Services => _services;
    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    /// <summary>Requests for <paramref name="target"/> now on the queue (peeked, so tests do not steal each other's).</summary>
    public async Task<List<TrainingRequest>> RequestsFor(string target)
    {
        var queue = Storage.QueueService().GetQueueClient(StorageLayout.TrainingRequestsQueue);
        if (!await queue.ExistsAsync()) return [];
        return (await queue.PeekMessagesAsync(32)).Value.Select(m => TrainingRequest.Parse(m.Body.ToString())).Where(r => r.Target == target).ToList();
    }

    public static string NewTarget() => "fn-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary><paramref name="n"/> distinct preference pairs as JSON lines.</summary>
    public static string Pairs(int n) => string.Concat(Enumerable.Range(0, n).Select(i =>
        System.Text.Json.JsonSerializer.Serialize(new { prompt = $"Question {i}?", chosen = $"Good {i}.", rejected = $"Bad {i}." }) + "\n"));

    /// <summary>An HTTP request whose body is <paramref name="content"/>.</summary>
    public static Microsoft.AspNetCore.Http.HttpRequest Body(string content)
    {
        var request = new Microsoft.AspNetCore.Http.DefaultHttpContext().Request;
        request.Body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content));
        return request;
    }

    public void Dispose() => _services.Dispose();
}
