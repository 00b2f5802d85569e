// Composition of the trainer worker: options validated at start, storage, the queue consumer, the run pipeline and
// the hosted loop. Program code calls AddTrainerWorker(configuration) and runs the host.
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.Composition;
using Pipeline.Shared.Storage;
using Polly;

namespace Pipeline.Worker;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>Storage connection string key; falls back to the PIPELINE_STORAGE environment variable.</summary>
    public const string StorageConnectionKey = "Storage:ConnectionString";

    /// <summary>Identity-based storage: the blob service URI, e.g. https://acct.blob.core.windows.net.</summary>
    public const string BlobServiceUriKey = "Storage:BlobServiceUri";

    public static IServiceCollection AddTrainerWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkerOptions>().Bind(configuration.GetSection(WorkerOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WorkerOptions>>(sp => new WorkerOptionsValidator(sp.GetRequiredService<IOptions<QueueOptions>>()));
        services.AddOptions<HostOptions>().Configure<IOptions<WorkerOptions>>((host, worker) => host.ShutdownTimeout = worker.Value.ShutdownTimeout);
        services.AddTrainingRequestQueue(configuration);

        // Identity-based access in Azure (Storage:BlobServiceUri + the TokenCredential the queue registers), else a
        // connection string (Storage:ConnectionString, env PIPELINE_STORAGE, Azurite's development storage).
        services.AddSingleton(sp => configuration[BlobServiceUriKey] is { Length: > 0 } uri
            ? new BlobServiceClient(new Uri(uri), sp.GetRequiredService<Azure.Core.TokenCredential>())
            : new StorageOptions
            {
                ConnectionString = configuration[StorageConnectionKey] is { Length: > 0 } s ? s : StorageOptions.FromEnvironment().ConnectionString,
            }.Validated().BlobService());
        services.AddSingleton(sp => new Heartbeat(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.HeartbeatFile));
        // Storage faults during a run (Azurite or the account briefly gone) are waited out for about half a minute.
        services.AddSingleton<ResiliencePipeline>(_ => StorageRetry.Create(maxRetryAttempts: 6, baseDelay: TimeSpan.FromMilliseconds(500)));
        services.AddSingleton(sp => new OrpoRunEngine(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.Device));
        services.AddSingleton(sp => new BaseModelCache(
            sp.GetRequiredService<BlobServiceClient>(), sp.GetRequiredService<IOptions<WorkerOptions>>().Value.CacheDirectory,
            sp.GetRequiredService<ResiliencePipeline>(), sp.GetRequiredService<ILogger<BaseModelCache>>()));
        services.AddSingleton(sp => new RunExecutor(
            sp.GetRequiredService<BlobServiceClient>(), sp.GetRequiredService<OrpoRunEngine>(), sp.GetRequiredService<BaseModelCache>(),
            sp.GetRequiredService<IOptions<WorkerOptions>>().Value, sp.GetRequiredService<ResiliencePipeline>(),
            sp.GetRequiredService<ILogger<RunExecutor>>(), sp.GetService<Reports.PolicyCheck>()));
        services.AddSingleton<RunPlanner>();
        services.AddSingleton<RunCoordinator>();
        services.AddSingleton<TrainerWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<TrainerWorker>());
        return services;
    }

    /// <summary>The worker's own settings, then those that must agree with the queue's (when the queue's are valid:
    /// their own validation reports them otherwise).</summary>
    private sealed class WorkerOptionsValidator(IOptions<QueueOptions> queue) : IValidateOptions<WorkerOptions>
    {
        public ValidateOptionsResult Validate(string? name, WorkerOptions options)
        {
            var problems = options.Problems().ToList();
            try
            {
                problems.AddRange(options.Problems(queue.Value));
            }
            catch (OptionsValidationException)
            {
                // Reported by the queue options' own validation at start.
            }
            return problems.Count > 0 ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
        }
    }
}
