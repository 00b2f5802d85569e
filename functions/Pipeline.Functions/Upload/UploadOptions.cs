// Options of the HTTP upload (section "Upload"), validated at start: when a file goes straight to blob storage.
namespace Pipeline.Functions.Upload;

public sealed record UploadOptions
{
    public const string SectionName = "Upload";

    /// <summary>Declared sizes above this get a direct-upload SAS instead of going through the host, whose request body
    /// limit is 100 MiB (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT).</summary>
    public long DirectUploadAboveBytes { get; init; } = 100L << 20;

    /// <summary>How long a direct-upload SAS stays valid (long enough to send a multi-GB file, short enough to leak little).</summary>
    public TimeSpan SasLifetime { get; init; } = TimeSpan.FromMinutes(30);

    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (DirectUploadAboveBytes <= 0) p.Add("Upload:DirectUploadAboveBytes must be positive");
        if (SasLifetime < TimeSpan.FromMinutes(1) || SasLifetime > TimeSpan.FromDays(7))
            p.Add($"Upload:SasLifetime {SasLifetime} must be between 1 minute and 7 days (a user delegation key's limit)");
        return p;
    }
}
