// The caller of an HTTP function as the platform vouches for it: its app roles and group object ids, read from the
// ClaimsPrincipal the host gives (when authenticated) or from App Service Authentication's X-MS-CLIENT-PRINCIPAL
// header (base64 JSON: {"auth_typ", "claims": [{"typ", "val"}], "name_typ", "role_typ"}).
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Pipeline.Functions.Access;

public sealed record Caller(string Name, IReadOnlySet<string> Roles, IReadOnlySet<string> Groups)
{
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";

    /// <summary>Entra ID's claim types for app roles and groups, as Easy Auth passes them on.</summary>
    public const string RolesClaim = "roles";
    public const string GroupsClaim = "groups";

    /// <summary>Longest header read (a principal with hundreds of groups is a few KB; more is not a principal).</summary>
    private const int MaxHeaderChars = 64 * 1024;

    /// <summary>The caller, or null with the reason when the request carries no usable identity.</summary>
    public static (Caller? Caller, string? Problem) FromRequest(HttpRequest request)
    {
        if (request.HttpContext.User is { Identity.IsAuthenticated: true } user)
            return (FromClaims(user.Identity.Name, user.Claims.Select(c => (c.Type, c.Value)), ClaimTypes.Role), null);
        var header = request.Headers[PrincipalHeader].ToString();
        if (string.IsNullOrEmpty(header)) return (null, "the request is not signed in (no X-MS-CLIENT-PRINCIPAL from App Service Authentication)");
        if (header.Length > MaxHeaderChars) return (null, "the X-MS-CLIENT-PRINCIPAL header is too long");
        try
        {
            var principal = JsonSerializer.Deserialize<ClientPrincipal>(Convert.FromBase64String(header))
                            ?? throw new JsonException("null principal");
            var claims = (principal.Claims ?? []).Where(c => c is { Type: not null, Value: not null }).Select(c => (c!.Type!, c.Value!)).ToList();
            var name = principal.NameType is { } nameType ? claims.FirstOrDefault(c => c.Item1 == nameType).Item2 : null;
            return (FromClaims(name, claims, principal.RoleType), null);
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException)
        {
            return (null, "the X-MS-CLIENT-PRINCIPAL header is not base64-encoded principal JSON");
        }
    }

    private static Caller FromClaims(string? name, IEnumerable<(string Type, string Value)> claims, string? roleType)
    {
        var roles = new HashSet<string>(StringComparer.Ordinal);
        var groups = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (type, value) in claims)
        {
            if (type == RolesClaim || type == ClaimTypes.Role || (roleType is not null && type == roleType)) roles.Add(value);
            else if (type == GroupsClaim) groups.Add(value);
        }
        return new Caller(name ?? "(unnamed)", roles, groups);
    }

    private sealed record ClientPrincipal(
        [property: JsonPropertyName("auth_typ")] string? AuthType,
        [property: JsonPropertyName("claims")] IReadOnlyList<ClientClaim?>? Claims,
        [property: JsonPropertyName("name_typ")] string? NameType,
        [property: JsonPropertyName("role_typ")] string? RoleType);

    private sealed record ClientClaim(
        [property: JsonPropertyName("typ")] string? Type,
        [property: JsonPropertyName("val")] string? Value);
}
