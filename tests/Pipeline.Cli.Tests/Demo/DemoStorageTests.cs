// The demo's storage: its own Azurite when none is given (stopped when the demo ends, data kept for --reuse), or the
// given connection string, refused with a clear reason when nothing answers there.
using Pipeline.Cli.Local;
using Pipeline.Testing;
using Pipeline.Cli.Demo;

namespace Pipeline.Cli.Tests.Demo;

public sealed class DemoStorageTests
{
    [Fact]
    public async Task Starts_its_own_azurite_when_no_storage_is_given_and_stops_it_when_disposed()
    {
        using var dir = new TempDir("demo-storage-");
        int port;
        using (var storage = await DemoStorage.OpenAsync(null, RepoPaths.Root, dir.Path, CancellationToken.None))
        {
            Assert.True(storage.StartedHere);
            port = new Uri(storage.Options.BlobService().Uri.GetLeftPart(UriPartial.Authority)).Port;
            await storage.Options.BlobService().GetBlobContainerClient("probe").CreateIfNotExistsAsync();
            Assert.True(LocalAzurite.IsListening(port));
        }

        Assert.False(LocalAzurite.IsListening(port));
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task Refuses_a_given_storage_that_does_not_answer_and_says_which()
    {
        using var dir = new TempDir("demo-storage-");
        var closed = LocalAzurite.ConnectionStringFor(LocalAzurite.FreePort(), LocalAzurite.FreePort(), LocalAzurite.FreePort());

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DemoStorage.OpenAsync(closed, RepoPaths.Root, dir.Path, CancellationToken.None));

        Assert.Contains("does not answer", e.Message);
    }
}
