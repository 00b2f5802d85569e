// Composition of the training-request queue: binds and validates QueueOptions at start and registers the consumer
// (and, for Service Bus, the publisher) of the configured transport.
using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.ServiceBus;
using Pipeline.Shared.Queues.StorageQueue;

namespace Pipeline.Shared.Queues.Composition;

public static class QueueServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ITrainingRequestConsumer"/> for the transport named in section "Queue". With Service Bus
    /// it also registers <see cref="ITrainingRequestPublisher"/> (MessageId = RequestId); the Storage Queue publisher
    /// is ingestion's. Without a connection string, DefaultAzureCredential (or a registered TokenCredential) is used.
    /// </summary>
    public static IServiceCollection AddTrainingRequestQueue(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(QueueOptions.SectionName);
        services.AddOptions<QueueOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QueueOptions>, QueueOptionsValidator>());
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());

        services.TryAddSingleton(sp =>
        {
            var o = Options(sp);
            return string.IsNullOrWhiteSpace(o.ConnectionString)
                ? new ServiceBusClient(o.FullyQualifiedNamespace, sp.GetRequiredService<TokenCredential>())
                : new ServiceBusClient(o.ConnectionString);
        });
        services.TryAddSingleton<ITrainingRequestConsumer>(sp =>
        {
            var o = Options(sp);
            return o.Transport switch
            {
                QueueTransport.ServiceBus => new ServiceBusConsumer(
                    sp.GetRequiredService<ServiceBusClient>().CreateReceiver(o.QueueName, ServiceBusConsumer.ReceiverOptions),
                    sp.GetRequiredService<ServiceBusClient>().CreateSender(o.QueueName),
                    o, sp.GetRequiredService<ILogger<ServiceBusConsumer>>()),
                _ => new StorageQueueConsumer(
                    StorageQueueClients.Create(o, o.QueueName, sp.GetRequiredService<TokenCredential>()),
                    StorageQueueClients.Create(o, o.PoisonQueueName, sp.GetRequiredService<TokenCredential>()),
                    o, sp.GetRequiredService<ILogger<StorageQueueConsumer>>()),
            };
        });
        if (section.GetValue<QueueTransport?>(nameof(QueueOptions.Transport)) == QueueTransport.ServiceBus)
            services.TryAddSingleton<ITrainingRequestPublisher>(sp => new ServiceBusTrainingRequestPublisher(
                sp.GetRequiredService<ServiceBusClient>().CreateSender(Options(sp).QueueName)));
        return services;
    }

    private static QueueOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<QueueOptions>>().Value;
}
