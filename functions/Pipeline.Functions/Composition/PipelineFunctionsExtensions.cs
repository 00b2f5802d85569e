// Wires the functions to the shared ingestion service: storage options (validated at start), clients, publisher, and
// the upload's options and direct-upload SAS.
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Functions.Upload;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Functions.Composition;

public static class PipelineFunctionsExtensions
{
    /// <summary>The app setting the blob trigger and the clients share (a connection string; Azurite locally).</summary>
    public const string ConnectionSetting = "PipelineStorage";

    /// <summary>Registers the ingestion service. The storage options are resolved and validated here, at start:
    /// a malformed connection string stops the host before any trigger fires.</summary>
    public static IServiceCollection AddPipelineFunctions(this IServiceCollection services, IConfiguration configuration,
        Func<string, ITextTokenizer>? resolveTokenizer = null)
    {
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        if (configuration[BlobServiceUriSetting] is { Length: > 0 } blobUri)
        {
            // Identity-based connection (PipelineStorage__blobServiceUri in Azure): no keys in settings.
            services.AddSingleton(sp => new BlobServiceClient(new Uri(blobUri), sp.GetRequiredService<TokenCredential>()));
        }
        else
        {
            var storage = Resolve(configuration);
            services.AddSingleton(storage);
            services.AddSingleton(_ => storage.BlobService());
        }

        // The same publisher interface either way: Service Bus in Azure (Queue__Transport=ServiceBus, MessageId =
        // request id), else the storage queue of the PipelineStorage account (Azurite locally).
        if (configuration.GetSection(QueueOptions.SectionName).GetValue<QueueTransport?>(nameof(QueueOptions.Transport)) == QueueTransport.ServiceBus)
            services.AddTrainingRequestQueue(configuration);
        else
            services.AddSingleton<ITrainingRequestPublisher>(sp => new StorageQueuePublisher(StorageQueue(configuration, sp), StorageRetry.Create()));
        services.AddSingleton(sp => new IngestionService(
            sp.GetRequiredService<BlobServiceClient>(), sp.GetRequiredService<ITrainingRequestPublisher>(),
            resolveTokenizer ?? TokenizerResolvers.Builtin, StorageRetry.Create(), sp.GetService<ILogger<IngestionService>>()));
        services.AddSingleton<Runs.RunsCatalog>();

        // Large uploads: a direct-upload SAS above the host's request limit (Upload section, validated at start).
        services.AddOptions<UploadOptions>().Bind(configuration.GetSection(UploadOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UploadOptions>, UploadOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new DirectUploadSas(sp.GetRequiredService<BlobServiceClient>(),
            sp.GetRequiredService<IOptions<UploadOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    private sealed class UploadOptionsValidator : IValidateOptions<UploadOptions>
    {
        public ValidateOptionsResult Validate(string? name, UploadOptions options) =>
            options.Problems() is { Count: > 0 } p
                ? ValidateOptionsResult.Fail(p)
                : ValidateOptionsResult.Success;
    }

    /// <summary>Identity-based storage: the blob service URI (the queue service URI sits beside it).</summary>
    public const string BlobServiceUriSetting = ConnectionSetting + ":blobServiceUri";
    public const string QueueServiceUriSetting = ConnectionSetting + ":queueServiceUri";

    private static QueueClient StorageQueue(IConfiguration configuration, IServiceProvider sp) =>
        configuration[QueueServiceUriSetting] is { Length: > 0 } queueUri
            ? new QueueClient(new Uri(queueUri.TrimEnd('/') + "/" + StorageLayout.TrainingRequestsQueue),
                sp.GetRequiredService<TokenCredential>(), new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })
            : sp.GetRequiredService<StorageOptions>().QueueService().GetQueueClient(StorageLayout.TrainingRequestsQueue);

    /// <summary>The PipelineStorage setting, else env PIPELINE_STORAGE, else Azurite's development storage; validated.</summary>
    public static StorageOptions Resolve(IConfiguration configuration)
    {
        var fromSetting = configuration[ConnectionSetting];
        var options = string.IsNullOrWhiteSpace(fromSetting) ? StorageOptions.FromEnvironment() : new StorageOptions { ConnectionString = fromSetting };
        return options.Validated();
    }
}
