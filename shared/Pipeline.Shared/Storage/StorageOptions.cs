// Options for the storage account every host uses: a connection string (env PIPELINE_STORAGE), validated at start.
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Pipeline.Shared.Storage;

public sealed record StorageOptions
{
    public const string EnvironmentVariable = "PIPELINE_STORAGE";
    public const string DevelopmentStorage = "UseDevelopmentStorage=true";

    public required string ConnectionString { get; init; }

    public static StorageOptions FromEnvironment() => new()
    {
        ConnectionString = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } s ? s : DevelopmentStorage,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the problem; call at start.</summary>
    public StorageOptions Validated()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
            throw new ArgumentException($"storage connection string is empty (set {EnvironmentVariable})");
        try
        {
            _ = new BlobServiceClient(ConnectionString);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"storage connection string in {EnvironmentVariable} is not valid: {e.Message}", e);
        }
        return this;
    }

    public BlobServiceClient BlobService() => new(ConnectionString);

    /// <summary>Queue client with base64 bodies (the Functions queue-trigger default).</summary>
    public QueueServiceClient QueueService() =>
        new(ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
}
