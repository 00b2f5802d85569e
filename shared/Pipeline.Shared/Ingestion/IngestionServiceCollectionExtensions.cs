// The one composition of the ingestion service, used by every host: the Functions app, `pipeline watch` / `ingest`
// and the demo. Storage by connection string or by identity; the publisher of the configured queue transport
// (section "Queue": Service Bus with Queue:Transport=ServiceBus, else the storage account's queue).
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.Composition;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Shared.Ingestion;

public static class IngestionServiceCollectionExtensions
{
    /// <summary>The storage setting: a connection string (Azurite locally; the Functions blob trigger's connection too).
    /// Unset: env PIPELINE_STORAGE, else Azurite's development storage.</summary>
    public const string StorageSetting = "PipelineStorage";

    /// <summary>Identity-based storage (Azure): the blob and queue service URIs, e.g. PipelineStorage__blobServiceUri.</summary>
    public const string BlobServiceUriSetting = StorageSetting + ":blobServiceUri";
    public const string QueueServiceUriSetting = StorageSetting + ":queueServiceUri";

    /// <summary>Registers the storage clients, the training-request publisher, <see cref="IngestionService"/> and its
    /// <see cref="IngestionRetryOptions"/>. A malformed connection string or retry setting throws here, at start,
    /// before any file is handled.</summary>
    public static IServiceCollection AddIngestion(this IServiceCollection services, IConfiguration configuration,
        Func<string, ITextTokenizer>? resolveTokenizer = null)
    {
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        if (configuration[BlobServiceUriSetting] is { Length: > 0 } blobUri)
        {
            services.AddSingleton(sp => new BlobServiceClient(new Uri(blobUri), sp.GetRequiredService<TokenCredential>()));
        }
        else
        {
            var storage = ResolveStorage(configuration);
            services.AddSingleton(storage);
            services.AddSingleton(_ => storage.BlobService());
        }

        if (configuration.GetSection(QueueOptions.SectionName).GetValue<QueueTransport?>(nameof(QueueOptions.Transport)) == QueueTransport.ServiceBus)
            services.AddTrainingRequestQueue(configuration);
        else
            services.AddSingleton<ITrainingRequestPublisher>(sp => new StorageQueuePublisher(StorageQueue(configuration, sp), StorageRetry.Create()));
        services.AddSingleton((configuration.GetSection(IngestionRetryOptions.SectionName).Get<IngestionRetryOptions>() ?? new()).Validated());
        services.AddSingleton(sp => new IngestionService(
            sp.GetRequiredService<BlobServiceClient>(), sp.GetRequiredService<ITrainingRequestPublisher>(),
            resolveTokenizer ?? TokenizerResolvers.Builtin, StorageRetry.Create(), sp.GetService<ILogger<IngestionService>>()));
        return services;
    }

    /// <summary>The storage setting, else env PIPELINE_STORAGE, else Azurite's development storage; validated.</summary>
    public static StorageOptions ResolveStorage(IConfiguration configuration)
    {
        var fromSetting = configuration[StorageSetting];
        var options = string.IsNullOrWhiteSpace(fromSetting) ? StorageOptions.FromEnvironment() : new StorageOptions { ConnectionString = fromSetting };
        return options.Validated();
    }

    private static QueueClient StorageQueue(IConfiguration configuration, IServiceProvider sp) =>
        configuration[QueueServiceUriSetting] is { Length: > 0 } queueUri
            ? new QueueClient(new Uri(queueUri.TrimEnd('/') + "/" + StorageLayout.TrainingRequestsQueue),
                sp.GetRequiredService<TokenCredential>(), new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })
            : sp.GetRequiredService<StorageOptions>().QueueService().GetQueueClient(StorageLayout.TrainingRequestsQueue);
}
