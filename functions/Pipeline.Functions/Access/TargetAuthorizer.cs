// The per-target access check every HTTP function makes before it does anything: the caller (as App Service
// Authentication vouches for it) must hold one of the app roles, or be in one of the groups, that the target profile's
// "access" section names for the operation. A target without a profile or rules is closed, and so is every target
// while App Service Authentication is off; Access:Mode Local is open.
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Functions.Http;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;

namespace Pipeline.Functions.Access;

public sealed class TargetAuthorizer(BlobServiceClient blobs, IOptions<AccessOptions> options, IConfiguration configuration, ILogger<TargetAuthorizer> log)
{
    private readonly TargetProfileStore _profiles = new(blobs);

    /// <summary>Only with App Service Authentication on is X-MS-CLIENT-PRINCIPAL the platform's: it strips the header
    /// from incoming requests. Without it anyone could write one, so no caller is trusted (ingestion still runs).</summary>
    private readonly bool _platformAuthentication = AccessOptionsValidator.PlatformAuthenticationEnabled(configuration);

    /// <summary>Null when the caller may do <paramref name="operation"/> on <paramref name="target"/>; else the refusal
    /// to return: 400 for a malformed target name, 401 without a signed-in caller, 403 without a matching role or group.</summary>
    public async Task<IActionResult?> RefuseAsync(HttpRequest request, string target, TargetOperation operation, CancellationToken ct) =>
        (await CheckAsync(request, target, operation, ct))?.ToResult();

    public async Task<ApiError?> CheckAsync(HttpRequest request, string target, TargetOperation operation, CancellationToken ct)
    {
        if (TargetName.Problem(target) is { } bad) return new ApiError(StatusCodes.Status400BadRequest, "invalid_target", bad);
        if (options.Value.Mode == AccessMode.Local) return null;
        if (!_platformAuthentication)
        {
            log.LogWarning("Refused {Operation} on {Target}: App Service Authentication is off ({Setting} is not True), so no caller can be trusted",
                operation, target, AccessOptions.PlatformAuthenticationSetting);
            return new ApiError(StatusCodes.Status401Unauthorized, "unauthenticated",
                "App Service Authentication is off on this app, so no caller can be signed in (Access:Mode Local is for a developer's machine)");
        }

        var (caller, problem) = Caller.FromRequest(request);
        if (caller is null)
        {
            log.LogInformation("Refused {Operation} on {Target}: {Problem}", operation, target, problem);
            return new ApiError(StatusCodes.Status401Unauthorized, "unauthenticated", problem!);
        }
        TargetProfile? profile;
        try
        {
            profile = await _profiles.ReadAsync(target, ct);
        }
        catch (FormatException e)
        {
            // A broken profile grants nothing; the reason goes to the log, not to the caller.
            log.LogWarning(e, "Refused {Operation} on {Target} for {Caller}: the target profile is invalid", operation, target, caller.Name);
            return Forbidden(target, operation);
        }
        if (profile?.Access?.For(operation).Allows(caller.Roles, caller.Groups) == true) return null;
        log.LogInformation("Refused {Operation} on {Target} for {Caller} (roles {Roles}; {GroupCount} groups)",
            operation, target, caller.Name, string.Join(",", caller.Roles), caller.Groups.Count);
        return Forbidden(target, operation);
    }

    private static ApiError Forbidden(string target, TargetOperation operation) => new(StatusCodes.Status403Forbidden, "forbidden",
        $"the caller holds none of the roles or groups that target '{target}' allows to {operation.ToString().ToLowerInvariant()}");
}
