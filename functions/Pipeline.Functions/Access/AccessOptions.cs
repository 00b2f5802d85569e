// Options of the HTTP functions' access check (section "Access"), validated at start: who vouches for the caller.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Pipeline.Functions.Access;

public enum AccessMode
{
    /// <summary>App Service Authentication (Easy Auth) signs callers in with Entra ID and passes their claims in the
    /// X-MS-CLIENT-PRINCIPAL header; each call is checked against the target profile's "access" section.</summary>
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

/// <summary>Refuses a mode the host cannot honour: Easy Auth claims without Easy Auth (forgeable), or Local in Azure.</summary>
public sealed class AccessOptionsValidator(IConfiguration configuration) : IValidateOptions<AccessOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions options)
    {
        var prefix = AccessOptions.SectionName + ":Mode";
        if (!Enum.IsDefined(options.Mode))
            return ValidateOptionsResult.Fail($"{prefix} '{options.Mode}' is not AppServiceAuthentication or Local");
        var platformAuth = string.Equals(configuration[AccessOptions.PlatformAuthenticationSetting], "True", StringComparison.OrdinalIgnoreCase);
        if (options.Mode == AccessMode.AppServiceAuthentication && !platformAuth)
            return ValidateOptionsResult.Fail(
                $"{prefix} is AppServiceAuthentication but App Service Authentication is off ({AccessOptions.PlatformAuthenticationSetting} is not True): " +
                "without it any caller could write the X-MS-CLIENT-PRINCIPAL header. Turn it on, or set Access:Mode Local on a developer's machine.");
        if (options.Mode == AccessMode.Local && !string.IsNullOrEmpty(configuration[AccessOptions.HostedSiteSetting]))
            return ValidateOptionsResult.Fail(
                $"{prefix} Local lets every caller through and is for a developer's machine; this host runs in App Service ({AccessOptions.HostedSiteSetting} is set).");
        return ValidateOptionsResult.Success;
    }
}
