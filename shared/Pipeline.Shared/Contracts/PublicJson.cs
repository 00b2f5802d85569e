// What a read endpoint may show of a stored document (a run's status, a version's manifest, a validation report):
// local file paths, URLs' hosts and this machine's name belong to the deployment, not to the caller. They are replaced
// in every string value before the JSON leaves; a worker id becomes a short stable hash, so workers stay distinguishable.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pipeline.Shared.Contracts;

public static partial class PublicJson
{
    public const string PathMark = "<local path>";
    public const string HostMark = "<host>";

    /// <summary>Properties that name a machine: their value is replaced by "w-" and 8 hex digits of its SHA-256.</summary>
    private static readonly HashSet<string> HostProperties = new(StringComparer.OrdinalIgnoreCase) { "worker_id", "workerId", "host", "hostname", "machine_name" };

    /// <summary>The document with local paths, hosts and the machine name taken out of every string value.</summary>
    public static string Redact(string json)
    {
        var node = JsonNode.Parse(json);
        Walk(node, null);
        return node?.ToJsonString(Options) ?? "null";
    }

    public static string Redact(BinaryData json) => Redact(json.ToString());

    /// <summary>One string with local paths, URL hosts and the machine name replaced.</summary>
    public static string RedactText(string text)
    {
        var redacted = UrlHost().Replace(text, m => m.Groups["scheme"].Value + "://" + HostMark);
        redacted = WindowsPath().Replace(redacted, PathMark);
        redacted = PosixPath().Replace(redacted, PathMark);
        return MachineName.Replace(redacted, HostMark);
    }

    // This machine's name as a word ("vm", "worker-7f9c"), wherever it appears.
    private static readonly Regex MachineName = new($@"(?<![A-Za-z0-9]){Regex.Escape(Environment.MachineName)}(?![A-Za-z0-9])",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static void Walk(JsonNode? node, string? property)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    if (child is JsonValue v && v.TryGetValue<string>(out var s) && HostProperties.Contains(name)) o[name] = Hash(s);
                    else if (child is JsonValue value && value.TryGetValue<string>(out var text)) o[name] = RedactText(text);
                    else Walk(child, name);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.TryGetValue<string>(out var s)) a[i] = RedactText(s);
                    else Walk(a[i], property);
                }
                break;
        }
    }

    private static string Hash(string value) => "w-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..8];

    // scheme://host[:port] of URLs (blob endpoints, Service Bus namespaces).
    [GeneratedRegex(@"(?<scheme>[a-zA-Z][a-zA-Z0-9+.-]{1,15})://[^/\s'""<>]+")]
    private static partial Regex UrlHost();

    // C:\... or \\server\share\...
    [GeneratedRegex(@"(?<![\w])(?:[A-Za-z]:\\|\\\\)[^\s'""<>]*")]
    private static partial Regex WindowsPath();

    // An absolute POSIX path of at least two parts (/tmp/x, /home/me/models/tiny), where a token starts.
    [GeneratedRegex(@"(?<=^|[\s'""(=:,\[])/[^\s/'""<>(),\]]+/[^\s'""<>(),\]]*")]
    private static partial Regex PosixPath();
}
