// What the Storage Queue transport writes to "{queue}-poison": the original body untouched, plus why and when.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Shared.Queues.StorageQueue;

public sealed record PoisonMessage
{
    [JsonPropertyName("reason")] public required string Reason { get; init; }
    [JsonPropertyName("description")] public required string Description { get; init; }
    [JsonPropertyName("queue")] public required string Queue { get; init; }
    [JsonPropertyName("message_id")] public required string MessageId { get; init; }
    [JsonPropertyName("dequeue_count")] public long DequeueCount { get; init; }
    [JsonPropertyName("inserted_on")] public DateTimeOffset? InsertedOn { get; init; }
    [JsonPropertyName("poisoned_at")] public DateTimeOffset PoisonedAt { get; init; }

    /// <summary>The message text exactly as it was on the main queue (base64 or JSON).</summary>
    [JsonPropertyName("body")] public required string Body { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this);

    public static PoisonMessage Parse(string json) =>
        JsonSerializer.Deserialize<PoisonMessage>(json) ?? throw new FormatException("poison message is null");
}
