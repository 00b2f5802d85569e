// The demo's storage: the given connection string when it answers, else a fresh Azurite under .demo/azurite that the
// demo stops when it ends.
using Azure.Storage.Blobs;
using Pipeline.Cli.Local;
using Pipeline.Shared.Storage;

namespace Pipeline.Cli.Demo;

public sealed class DemoStorage : IDisposable
{
    private readonly LocalAzurite? _azurite;

    private DemoStorage(string connectionString, LocalAzurite? azurite, string description)
    {
        ConnectionString = connectionString;
        _azurite = azurite;
        Description = description;
    }

    public string ConnectionString { get; }

    /// <summary>Whether the demo started this Azurite (and so owns and stops it).</summary>
    public bool StartedHere => _azurite is not null;

    public string Description { get; }

    public StorageOptions Options => new StorageOptions { ConnectionString = ConnectionString }.Validated();

    /// <summary>Uses <paramref name="connectionString"/> when given (and fails clearly if it does not answer), else
    /// starts Azurite with its data in <paramref name="azuriteDir"/>.</summary>
    public static async Task<DemoStorage> OpenAsync(string? connectionString, string repoRoot, string azuriteDir, CancellationToken ct)
    {
        if (connectionString is not null)
        {
            var options = new StorageOptions { ConnectionString = connectionString }.Validated();
            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, probe.Token);
                // One quick try: a wrong address should fail the demo in seconds, not after the SDK's retry ladder.
                var probeClient = new BlobServiceClient(options.ConnectionString, new BlobClientOptions { Retry = { MaxRetries = 1, Delay = TimeSpan.FromMilliseconds(200) } });
                await probeClient.GetPropertiesAsync(linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when ((e is Azure.RequestFailedException or OperationCanceledException or HttpRequestException or AggregateException) && !ct.IsCancellationRequested)
            {
                throw new InvalidOperationException($"the storage given by --storage / {StorageOptions.EnvironmentVariable} does not answer: {e.Message}", e);
            }
            return new DemoStorage(connectionString, null, $"existing storage at {new BlobServiceClient(connectionString).Uri}");
        }
        var azurite = new LocalAzurite(LocalAzurite.FindExecutable(repoRoot), azuriteDir);
        azurite.Start();
        return new DemoStorage(azurite.ConnectionString, azurite, $"Azurite started on 127.0.0.1:{azurite.BlobPort} (blobs) / {azurite.QueuePort} (queues), data in {azuriteDir}");
    }

    public void Dispose() => _azurite?.Stop();
}
