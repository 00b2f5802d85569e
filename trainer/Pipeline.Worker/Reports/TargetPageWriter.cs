// Rebuilds models/{target}/index.json and index.html from storage (manifests, reports, latest.json) after each version.
// Each file is written only if nobody changed it since this writer looked (If-Match / If-None-Match: *), else it looks
// again: when two workers finish at once, the page ends up built by whoever saw both versions.
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;

namespace Pipeline.Worker.Reports;

public sealed class TargetPageWriter(BlobServiceClient blobs)
{
    private BlobContainerClient Models => blobs.GetBlobContainerClient(StorageLayout.Models);

    public async Task<TargetIndex> WriteAsync(string target, CancellationToken ct)
    {
        var json = Models.GetBlobClient(StorageLayout.ModelIndexJsonBlob(target));
        var html = Models.GetBlobClient(StorageLayout.ModelIndexHtmlBlob(target));
        while (true)
        {
            var (jsonTag, htmlTag) = (await ETagOfAsync(json, ct), await ETagOfAsync(html, ct));
            var index = await BuildAsync(target, ct);
            try
            {
                await json.UploadAsync(ContractJson.Serialize(index), Upload(jsonTag, "application/json"), ct);
                await html.UploadAsync(BinaryData.FromString(TargetPage.Html(index)), Upload(htmlTag, "text/html; charset=utf-8"), ct);
                return index;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another worker wrote the page meanwhile: build it again from what storage holds now.
            }
        }
    }

    /// <summary>The page as storage describes the target now: every version (oldest first) with its manifest and report.</summary>
    public async Task<TargetIndex> BuildAsync(string target, CancellationToken ct)
    {
        var store = new ModelVersionStore(blobs);
        var latest = (await new LatestPointerStore(blobs).ReadAsync(target, ct)).Pointer?.Version;
        var versions = new List<TargetIndexVersion>();
        foreach (var entry in await store.ListAsync(target, ct))
        {
            if (!ModelVersion.TryParseName(entry.Version, out var number)) continue;
            var version = new ModelVersion(target, number);
            var name = ReportFiles.InVersion(ReportFiles.JsonFile);
            var report = entry.Complete && await store.ReadFileAsync(version, name, ct) is { } data
                ? ContractJson.Deserialize<EvaluationReport>(data, $"{StorageLayout.Models}/{StorageLayout.ModelVersionFileBlob(version, name)}")
                : null;
            versions.Add(TargetPage.Entry(version, entry.Manifest, report, latest));
        }
        return new TargetIndex { Target = target, Latest = latest, Versions = versions, UpdatedAt = DateTimeOffset.UtcNow };
    }

    private static BlobUploadOptions Upload(ETag? seen, string contentType) => new()
    {
        Conditions = seen is { } tag ? new BlobRequestConditions { IfMatch = tag } : new BlobRequestConditions { IfNoneMatch = ETag.All },
        HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
    };

    private static async Task<ETag?> ETagOfAsync(BlobClient blob, CancellationToken ct)
    {
        try
        {
            return (await blob.GetPropertiesAsync(cancellationToken: ct)).Value.ETag;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
