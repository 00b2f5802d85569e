// Wires the functions to the shared ingestion service: storage options (validated at start), clients, publisher.
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Queues;
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
        var storage = Resolve(configuration);
        services.AddSingleton(storage);
        services.AddSingleton(_ => storage.BlobService());
        services.AddSingleton<ITrainingRequestPublisher>(_ => new StorageQueuePublisher(
            storage.QueueService().GetQueueClient(StorageLayout.TrainingRequestsQueue), StorageRetry.Create()));
        services.AddSingleton(sp => new IngestionService(
            sp.GetRequiredService<BlobServiceClient>(), sp.GetRequiredService<ITrainingRequestPublisher>(),
            resolveTokenizer ?? TokenizerResolvers.Builtin, StorageRetry.Create(), sp.GetService<ILogger<IngestionService>>()));
        services.AddSingleton<Runs.RunsCatalog>();
        return services;
    }

    /// <summary>The PipelineStorage setting, else env PIPELINE_STORAGE, else Azurite's development storage; validated.</summary>
    public static StorageOptions Resolve(IConfiguration configuration)
    {
        var fromSetting = configuration[ConnectionSetting];
        var options = string.IsNullOrWhiteSpace(fromSetting) ? StorageOptions.FromEnvironment() : new StorageOptions { ConnectionString = fromSetting };
        return options.Validated();
    }
}
