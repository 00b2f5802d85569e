using Azure.Storage.Blobs;
using Pipeline.Cli.Local;
using Pipeline.Testing;

namespace Pipeline.Cli.Tests.Local;

public sealed class LocalAzuriteTests
{
    [Fact]
    public async Task Restarted_azurite_keeps_its_ports_and_data()
    {
        using var location = new TempDir("azurite-restart-");
        using var azurite = new LocalAzurite(LocalAzurite.FindExecutable(RepoPaths.Root), location.Path);
        azurite.Start();
        var container = new BlobContainerClient(azurite.ConnectionString, "restart");
        await container.CreateAsync();
        await container.UploadBlobAsync("kept.txt", BinaryData.FromString("still here"));

        azurite.Stop();
        Assert.False(LocalAzurite.IsListening(azurite.BlobPort));
        azurite.Start();

        var content = await container.GetBlobClient("kept.txt").DownloadContentAsync();
        Assert.Equal("still here", content.Value.Content.ToString());
    }

    [Fact]
    public void Missing_azurite_install_says_how_to_install_it()
    {
        var error = Assert.Throws<FileNotFoundException>(() => LocalAzurite.FindExecutable("/nonexistent-repo"));
        Assert.Contains("./run test", error.Message);
    }
}
