// The short-lived SAS a client uploads a large file with, straight to incoming/{target}/{name}: create-only (it cannot
// overwrite, read, list or delete), one blob, HTTPS in Azure. One SAS description, two signers: a user delegation key
// in Azure (the app's identity; shared keys are off there) and the account key where the client has one (Azurite).
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;

namespace Pipeline.Functions.Upload;

public sealed record DirectUpload(Uri Url, DateTimeOffset ExpiresOn);

public sealed class DirectUploadSas(BlobServiceClient service, UploadOptions options, TimeProvider time)
{
    /// <summary>Slack for clocks that run behind storage's.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public async Task<DirectUpload> CreateAsync(BlobClient blob, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var sas = Describe(blob, now, options.SasLifetime);
        if (blob.CanGenerateSasUri)
            return new DirectUpload(blob.GenerateSasUri(sas), sas.ExpiresOn);
        var key = await service.GetUserDelegationKeyAsync(now - ClockSkew, sas.ExpiresOn, ct).ConfigureAwait(false);
        return new DirectUpload(SignWithDelegationKey(blob, sas, key.Value, service.AccountName), sas.ExpiresOn);
    }

    /// <summary>What the SAS allows, whoever signs it.</summary>
    public static BlobSasBuilder Describe(BlobClient blob, DateTimeOffset now, TimeSpan lifetime)
    {
        var sas = new BlobSasBuilder
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            StartsOn = now - ClockSkew,
            ExpiresOn = now + lifetime,
            // Azurite listens on plain HTTP; Azure storage only on HTTPS (supportsHttpsTrafficOnly).
            Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };
        sas.SetPermissions(BlobSasPermissions.Create);
        return sas;
    }

    public static Uri SignWithDelegationKey(BlobClient blob, BlobSasBuilder sas, UserDelegationKey key, string accountName) =>
        new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key, accountName) }.ToUri();
}
