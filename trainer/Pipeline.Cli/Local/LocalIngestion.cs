// The ingestion service of a local host (`pipeline watch`, `pipeline ingest`, the demo): the same composition as the
// Functions app (AddIngestion), over the given storage plus the environment, so Queue__Transport=ServiceBus with a
// Queue__ConnectionString publishes to Service Bus from a laptop too.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Cli.Local;

public sealed class LocalIngestion : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private LocalIngestion(ServiceProvider services) =>
        (_services, Service) = (services, services.GetRequiredService<IngestionService>());

    public IngestionService Service { get; }

    /// <param name="settings">Extra settings over the environment (tests pin the transport this way).</param>
    public static LocalIngestion Create(StorageOptions storage, Func<string, ITextTokenizer>? resolveTokenizer = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddInMemoryCollection(new Dictionary<string, string?> { [IngestionServiceCollectionExtensions.StorageSetting] = storage.ConnectionString })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        return new LocalIngestion(new ServiceCollection().AddLogging().AddIngestion(configuration, resolveTokenizer).BuildServiceProvider());
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
