// Reads and writes target profiles (config/targets/{target}.json): the one path every host takes, so a profile is
// parsed and validated the same way by ingestion, the worker and the demo. Callers decide what a missing or invalid
// profile means for them; the store only says which it is.
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;
using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Storage;

public sealed class TargetProfileStore(BlobServiceClient blobs)
{
    private BlobContainerClient Config => blobs.GetBlobContainerClient(StorageLayout.Config);

    /// <summary>"config/targets/{target}.json": how messages name a target's profile.</summary>
    public static string SourceName(string target) => $"{StorageLayout.Config}/{StorageLayout.TargetProfileBlob(target)}";

    /// <summary>The target's profile, or null when it has none. Throws <see cref="FormatException"/> naming the blob
    /// and every problem when the profile is invalid (bad JSON, an unknown key, a bad value in any section).</summary>
    public async Task<TargetProfile?> ReadAsync(string target, CancellationToken ct)
    {
        var data = await Config.GetBlobClient(StorageLayout.TargetProfileBlob(target)).TryDownloadAsync(ct).ConfigureAwait(false);
        return data is null ? null : TargetProfile.Parse(data.ToString(), SourceName(target));
    }

    /// <summary>Validates and writes the profile (replacing an earlier one); throws <see cref="FormatException"/> with
    /// every problem and writes nothing when it is invalid.</summary>
    public async Task WriteAsync(string target, TargetProfile profile, CancellationToken ct)
    {
        if (profile.Problems() is { Count: > 0 } problems)
            throw new FormatException($"{SourceName(target)}: {string.Join("; ", problems)}");
        await Config.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        await Config.GetBlobClient(StorageLayout.TargetProfileBlob(target))
            .UploadAsync(BinaryData.FromString(profile.ToJson()), overwrite: true, ct).ConfigureAwait(false);
    }

    /// <summary>A short hash of the profile's effective settings: part of a training request's id, so the same data
    /// under a changed profile is a new request. Empty for a target without a profile. Who may call the target
    /// (access) is left out: granting a role must not make the same data a new run.</summary>
    public static string Hash(TargetProfile? profile) => profile is null
        ? ""
        : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes((profile with { Access = null }).ToJson())))[..16];
}
