// QueueOptions validation at start, and the composition extension that picks the transport from configuration.
using Azure.Core;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.Composition;
using Pipeline.Shared.Queues.ServiceBus;
using Pipeline.Shared.Queues.StorageQueue;

namespace Pipeline.Shared.Tests.Queues;

public sealed class QueueOptionsTests
{
    internal static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddTrainingRequestQueue(configuration).BuildServiceProvider();
    }

    [Fact]
    public void Defaults_name_the_training_requests_queue_on_storage_queue()
    {
        var options = new QueueOptions();

        Assert.Equal(QueueTransport.StorageQueue, options.Transport);
        Assert.Equal("training-requests", options.QueueName);
        Assert.Equal("training-requests-poison", options.PoisonQueueName);
    }

    [Fact]
    public void Rejects_options_with_every_problem_named()
    {
        var errors = QueueOptionsValidator.Errors(new QueueOptions
        {
            QueueName = "Training_Requests",
            MaxDeliveries = 0,
            VisibilityTimeout = TimeSpan.FromSeconds(30),
            RenewalInterval = TimeSpan.FromMinutes(1),
        }).ToList();

        Assert.Contains(errors, e => e.Contains("Queue:QueueName 'Training_Requests'"));
        Assert.Contains(errors, e => e.Contains("Queue:ConnectionString or Queue:QueueServiceUri"));
        Assert.Contains(errors, e => e.Contains("Queue:MaxDeliveries must be at least 1"));
        Assert.Contains(errors, e => e.Contains("Queue:RenewalInterval (00:01:00) must be shorter than VisibilityTimeout"));
        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void Service_bus_needs_a_connection_string_or_a_namespace()
    {
        var errors = QueueOptionsValidator.Errors(new QueueOptions { Transport = QueueTransport.ServiceBus }).ToList();

        Assert.Equal(["Queue:ConnectionString or Queue:FullyQualifiedNamespace is required for the ServiceBus transport."], errors);
        Assert.Empty(QueueOptionsValidator.Errors(new QueueOptions
        {
            Transport = QueueTransport.ServiceBus,
            FullyQualifiedNamespace = "ns.servicebus.windows.net",
        }));
    }

    [Fact]
    public void Resolving_invalid_configuration_fails_with_the_reason()
    {
        using var provider = Provider(new() { ["Queue:MaxDeliveries"] = "0", ["Queue:ConnectionString"] = "UseDevelopmentStorage=true" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ITrainingRequestConsumer>());

        Assert.Contains("Queue:MaxDeliveries must be at least 1 (was 0).", error.Message);
    }

    [Fact]
    public async Task Binds_time_spans_and_picks_the_service_bus_transport_with_its_publisher()
    {
        await using var provider = Provider(new()
        {
            ["Queue:Transport"] = "ServiceBus",
            ["Queue:FullyQualifiedNamespace"] = "pipeline.servicebus.windows.net",
            ["Queue:RenewalInterval"] = "00:00:20",
            ["Queue:MaxRenewalDuration"] = "12:00:00",
        });

        var options = provider.GetRequiredService<IOptions<QueueOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(20), options.RenewalInterval);
        Assert.Equal(TimeSpan.FromHours(12), options.MaxRenewalDuration);
        Assert.IsType<ServiceBusConsumer>(provider.GetRequiredService<ITrainingRequestConsumer>());
        Assert.IsType<ServiceBusTrainingRequestPublisher>(provider.GetRequiredService<ITrainingRequestPublisher>());
        Assert.Equal("pipeline.servicebus.windows.net", provider.GetRequiredService<ServiceBusClient>().FullyQualifiedNamespace);
    }

    [Fact]
    public async Task Picks_the_storage_queue_transport_and_leaves_its_publisher_to_ingestion()
    {
        await using var provider = Provider(new() { ["Queue:QueueServiceUri"] = "https://acct.queue.core.windows.net" });

        Assert.IsType<StorageQueueConsumer>(provider.GetRequiredService<ITrainingRequestConsumer>());
        Assert.Null(provider.GetService<ITrainingRequestPublisher>());
        Assert.NotNull(provider.GetRequiredService<TokenCredential>());
    }

    [Fact]
    public void Identity_based_storage_clients_address_the_queue_under_the_service_uri()
    {
        var options = new QueueOptions { QueueServiceUri = new Uri("https://acct.queue.core.windows.net/") };

        var queue = StorageQueueClients.Create(options, options.PoisonQueueName, new Azure.Identity.DefaultAzureCredential());

        Assert.Equal(new Uri("https://acct.queue.core.windows.net/training-requests-poison"), queue.Uri);
        Assert.Equal("training-requests-poison", queue.Name);
    }
}
