// xunit fixture: the repository's pinned Azurite on free loopback ports with a temporary location, stopped at the end.
// Tests that use it are real integration tests: they run in CI and are never skipped.
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Pipeline.Cli.Local;

namespace Pipeline.Testing;

public sealed class AzuriteFixture : IDisposable
{
    private readonly TempDir _location = new("azurite-");
    private readonly LocalAzurite _azurite;

    public AzuriteFixture()
    {
        _azurite = new LocalAzurite(LocalAzurite.FindExecutable(RepoPaths.Root), _location.Path);
        _azurite.Start();
    }

    public string ConnectionString => _azurite.ConnectionString;
    public int BlobPort => _azurite.BlobPort;
    public int QueuePort => _azurite.QueuePort;

    public BlobServiceClient BlobService() => new(ConnectionString);
    public QueueServiceClient QueueService() => new(ConnectionString);

    /// <summary>Starts Azurite again on the same ports and data after <see cref="Stop"/>.</summary>
    public void Start() => _azurite.Start();

    /// <summary>Kills Azurite, keeping its data (for storage-outage tests).</summary>
    public void Stop() => _azurite.Stop();

    public static int FreePort() => LocalAzurite.FreePort();

    public void Dispose()
    {
        _azurite.Stop();
        try { _location.Dispose(); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
