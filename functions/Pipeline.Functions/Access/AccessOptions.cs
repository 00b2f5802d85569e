// Options of the HTTP functions' access check (section "Access"), validated at start: who vouches for the caller.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Pipeline.Functions.Access;

public enum AccessMode
{
    /// <summary>App Service Authentication (Easy Auth) signs callers in with Entra ID and passes their claims in the
    /// X-MS-CLIENT-PRINCIPAL header; each call is checked against the target profile's "access" section. With App
    /// Service Authentication off every call is refused (401).</summary>
    AppServiceAuthentication,

    /// <summary>A host on a developer's machine (`func start`): every caller may do everything. Refused in Azure.</summary>
    Local,
}

public sealed record AccessOptions
{
    public const string SectionName = "Access";

    /// <summary>App Service sets this to "True" when its authentication is on; only then is X-MS-CLIENT-PRINCIPAL the
    /// platform's (it strips the header from incoming requests), and not something a caller wrote.</summary>
    public const string PlatformAuthenticationSetting = "WEBSITE_AUTH_ENABLED";

    /// <summary>Set by App Service (and so Azure Functions) on every app it hosts.</summary>
    public const string HostedSiteSetting = "WEBSITE_SITE_NAME";

    public AccessMode Mode { get; init; } = AccessMode.AppServiceAuthentication;
}

/// <summary>Refuses Local where it would open a deployed app: App Service sets WEBSITE_SITE_NAME on every app it hosts.
/// (AppServiceAuthentication without App Service Authentication starts, so ingestion keeps working, but trusts no
/// caller: see <see cref="TargetAuthorizer"/>.)</summary>
public sealed class AccessOptionsValidator(IConfiguration configuration) : IValidateOptions<AccessOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions options)
    {
        var prefix = AccessOptions.SectionName + ":Mode";
        if (!Enum.IsDefined(options.Mode))
            return ValidateOptionsResult.Fail($"{prefix} '{options.Mode}' is not AppServiceAuthentication or Local");
        if (options.Mode == AccessMode.Local && !string.IsNullOrEmpty(configuration[AccessOptions.HostedSiteSetting]))
            return ValidateOptionsResult.Fail(
                $"{prefix} Local lets every caller through and is for a developer's machine; this host runs in App Service ({AccessOptions.HostedSiteSetting} is set).");
        return ValidateOptionsResult.Success;
    }

    /// <summary>Whether App Service Authentication is on for this app (App Service sets the setting to "True").</summary>
    public static bool PlatformAuthenticationEnabled(IConfiguration configuration) =>
        string.Equals(configuration[AccessOptions.PlatformAuthenticationSetting], "True", StringComparison.OrdinalIgnoreCase);
}
