// Large uploads through the same endpoint: a declared size above the host's limit gets a create-only SAS, the client
// puts the file straight into incoming/ with it and ingestion takes it from there; the target's own size limit applies
// to both paths. On Azurite the SAS is signed with the account key; the user-delegation signing Azure uses (Azurite
// has no user delegation keys) is checked on the SAS it produces.
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Pipeline.Functions.Ingest;
using Pipeline.Functions.Upload;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using static Pipeline.Functions.Tests.FunctionTestHost;

namespace Pipeline.Functions.Tests.Upload;

[Collection(AzuriteCollection.Name)]
public sealed class DirectUploadTests(AzuriteFixture azurite) : IDisposable
{
    /// <summary>A stand-in for the host's 100 MiB request limit, small enough for test files.</summary>
    private const int HostLimitBytes = 1024;

    private readonly FunctionTestHost _host = new(azurite, new() { ["Upload:DirectUploadAboveBytes"] = HostLimitBytes.ToString() });

    public void Dispose() => _host.Dispose();

    private static HttpRequest Declared(long bytes, string body = "")
    {
        var request = new DefaultHttpContext().Request;
        request.QueryString = new QueryString($"?{UploadFileFunction.DeclaredBytesParameter}={bytes}");
        request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        return request;
    }

    private static (int Status, JsonElement Body) Read(IActionResult result)
    {
        var o = Assert.IsAssignableFrom<ObjectResult>(result);
        return (o.StatusCode ?? 200, JsonSerializer.SerializeToElement(o.Value));
    }

    private async Task SetMaxFileBytesAsync(string target, long bytes)
    {
        var config = azurite.BlobService().GetBlobContainerClient(StorageLayout.Config);
        await config.CreateIfNotExistsAsync();
        await config.GetBlobClient(StorageLayout.TargetProfileBlob(target)).UploadAsync(BinaryData.FromString($$"""{ "max_file_bytes": {{bytes}} }"""), overwrite: true);
    }

    [Fact]
    public async Task A_file_over_the_host_limit_goes_up_with_the_returned_sas_and_is_ingested()
    {
        var target = FunctionTestHost.NewTarget();
        var content = Encoding.UTF8.GetBytes(Pairs(200));
        Assert.True(content.Length > 4 * HostLimitBytes);

        var (status, answer) = Read(await _host.Get<UploadFileFunction>().Run(Declared(content.Length), target, "big.jsonl", default));

        Assert.Equal(StatusCodes.Status202Accepted, status);
        Assert.Equal("PUT", answer.GetProperty("method").GetString());
        var direct = new BlobClient(new Uri(answer.GetProperty("uploadUrl").GetString()!));
        // One Put Blob, create-only like the host path (Azure takes up to 5000 MiB so; Put Block needs a newer
        // service version for a create-only SAS, and Azurite asks write permission for it).
        await direct.UploadAsync(BinaryData.FromBytes(content), new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            TransferOptions = new Azure.Storage.StorageTransferOptions { InitialTransferSize = content.Length + 1 },
        });
        var stored = azurite.BlobService().GetBlobContainerClient(StorageLayout.Incoming).GetBlobClient(StorageLayout.IncomingBlob(target, "big.jsonl"));
        Assert.Equal(content, (await stored.DownloadContentAsync()).Value.Content.ToArray());

        var ingested = await _host.Get<IngestBlobFunction>().Run(stored, target, "big.jsonl", default);
        Assert.Equal(IngestOutcome.Accepted, ingested.Outcome);
        Assert.Equal(200, ingested.Report!.RowsAccepted);
    }

    [Fact]
    public async Task The_sas_creates_that_one_blob_and_can_neither_read_overwrite_nor_reach_another()
    {
        var target = FunctionTestHost.NewTarget();
        var (_, answer) = Read(await _host.Get<UploadFileFunction>().Run(Declared(50_000), target, "big.jsonl", default));
        var url = new Uri(answer.GetProperty("uploadUrl").GetString()!);
        var direct = new BlobClient(url);
        await direct.UploadAsync(BinaryData.FromString(Pairs(3)));

        var read = await Assert.ThrowsAsync<RequestFailedException>(() => direct.DownloadContentAsync());
        var overwrite = await Assert.ThrowsAsync<RequestFailedException>(() => direct.UploadAsync(BinaryData.FromString(Pairs(4)), overwrite: true));
        var sibling = new BlobUriBuilder(url) { BlobName = StorageLayout.IncomingBlob(target, "other.jsonl") }.ToUri();
        var elsewhere = await Assert.ThrowsAsync<RequestFailedException>(() => new BlobClient(sibling).UploadAsync(BinaryData.FromString(Pairs(3))));

        Assert.Equal(403, read.Status);
        Assert.Contains(overwrite.Status, new[] { 403, 409 });
        Assert.Equal(403, elsewhere.Status);
        var sas = new BlobUriBuilder(url).Sas;
        Assert.Equal("c", sas.Permissions);
        Assert.True(sas.ExpiresOn - DateTimeOffset.UtcNow <= new UploadOptions().SasLifetime + TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_name_that_exists_gets_409_and_no_sas()
    {
        var target = FunctionTestHost.NewTarget();
        await _host.Get<UploadFileFunction>().Run(Body(Pairs(2)), target, "f.jsonl", default);

        var (status, answer) = Read(await _host.Get<UploadFileFunction>().Run(Declared(50_000), target, "f.jsonl", default));

        Assert.Equal(StatusCodes.Status409Conflict, status);
        Assert.False(answer.TryGetProperty("uploadUrl", out _));
    }

    [Fact]
    public async Task The_targets_own_size_limit_refuses_a_declared_file_and_an_http_body_the_default_profile_would_take()
    {
        var target = FunctionTestHost.NewTarget();
        await SetMaxFileBytesAsync(target, 600);

        var (declaredStatus, declared) = Read(await _host.Get<UploadFileFunction>().Run(Declared(50_000), target, "big.jsonl", default));
        var (bodyStatus, body) = Read(await _host.Get<UploadFileFunction>().Run(Body(Pairs(10)), target, "small.jsonl", default));

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, declaredStatus);
        Assert.Contains("600", declared.GetProperty("message").GetString());
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, bodyStatus);
        Assert.Contains("600", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_size_that_is_not_a_number_is_refused_with_400()
    {
        var request = Declared(0);
        request.QueryString = new QueryString("?bytes=lots");

        var (status, _) = Read(await _host.Get<UploadFileFunction>().Run(request, FunctionTestHost.NewTarget(), "f.jsonl", default));

        Assert.Equal(StatusCodes.Status400BadRequest, status);
    }

    [Fact]
    public void In_azure_the_sas_is_signed_with_a_user_delegation_key_create_only_https_for_one_blob()
    {
        // What CreateAsync signs when the client holds a token credential instead of a key (shared keys are off in Azure).
        var blob = new BlobClient(new Uri("https://stexample.blob.core.windows.net/incoming/support-bot/big.parquet"));
        Assert.False(blob.CanGenerateSasUri);
        var now = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        // (object id, tenant id, starts, expires, service, version, key value)
        var key = BlobsModelFactory.UserDelegationKey("11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-000000000000",
            now - DirectUploadSas.ClockSkew, now + TimeSpan.FromMinutes(30), "b", "2025-07-05", Convert.ToBase64String(new byte[32]));

        var url = DirectUploadSas.SignWithDelegationKey(blob, DirectUploadSas.Describe(blob, now, TimeSpan.FromMinutes(30)), key, "stexample");

        var sas = new BlobUriBuilder(url).Sas;
        Assert.Equal("c", sas.Permissions);
        Assert.Equal("b", sas.Resource);
        Assert.Equal(SasProtocol.Https, sas.Protocol);
        Assert.Equal(now + TimeSpan.FromMinutes(30), sas.ExpiresOn);
        Assert.Equal(now - DirectUploadSas.ClockSkew, sas.StartsOn);
        Assert.Equal("11111111-2222-3333-4444-555555555555", sas.KeyObjectId);
        Assert.Equal("66666666-7777-8888-9999-000000000000", sas.KeyTenantId);
        Assert.False(string.IsNullOrEmpty(sas.Signature));
        Assert.Equal("/incoming/support-bot/big.parquet", url.AbsolutePath);
        Assert.DoesNotContain(Convert.ToBase64String(new byte[32]), url.ToString());
    }
}
