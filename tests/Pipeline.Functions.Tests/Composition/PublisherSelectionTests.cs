// The ingest function publishes through the configured transport: Service Bus in Azure, the storage queue locally.
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Functions.Composition;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.ServiceBus;
using Pipeline.Shared.Queues.StorageQueue;

namespace Pipeline.Functions.Tests.Composition;

public sealed class PublisherSelectionTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddPipelineFunctions(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Local_settings_publish_to_the_storage_queue()
    {
        await using var sp = Build(new() { ["PipelineStorage"] = "UseDevelopmentStorage=true" });
        Assert.IsType<StorageQueuePublisher>(sp.GetRequiredService<ITrainingRequestPublisher>());
    }

    [Fact]
    public async Task Service_bus_transport_publishes_to_service_bus_with_identity()
    {
        await using var sp = Build(new()
        {
            ["PipelineStorage:blobServiceUri"] = "https://acct.blob.core.windows.net",
            ["PipelineStorage:queueServiceUri"] = "https://acct.queue.core.windows.net",
            ["Queue:Transport"] = "ServiceBus",
            ["Queue:FullyQualifiedNamespace"] = "ns.servicebus.windows.net",
        });
        Assert.IsType<ServiceBusTrainingRequestPublisher>(sp.GetRequiredService<ITrainingRequestPublisher>());
        Assert.Equal("acct.blob.core.windows.net", sp.GetRequiredService<BlobServiceClient>().Uri.Host);
    }
}
