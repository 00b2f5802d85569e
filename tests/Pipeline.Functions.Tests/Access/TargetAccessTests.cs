// Per-target access on every HTTP function, on Azurite: a caller signed in by App Service Authentication (its
// X-MS-CLIENT-PRINCIPAL claims, or the ClaimsPrincipal the host gives) gets through only with an app role or group
// that the target's profile names for the operation; without a principal it gets 401, without the role 403.
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pipeline.Functions.Access;
using Pipeline.Functions.Composition;
using Pipeline.Functions.Reports;
using Pipeline.Functions.Upload;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Testing;

namespace Pipeline.Functions.Tests.Access;

[Collection(AzuriteCollection.Name)]
public sealed class TargetAccessTests(AzuriteFixture azurite)
{
    private const string ReaderGroup = "6f1c2a8e-1111-4c3b-9a55-0123456789ab";
    private readonly string _target = "access-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _queue = "access-" + Guid.NewGuid().ToString("N")[..8];

    private static readonly Dictionary<string, string?> AppServiceAuth = new()
    {
        ["Access:Mode"] = "AppServiceAuthentication",
        [AccessOptions.PlatformAuthenticationSetting] = "True",
        ["Retrain:Cooldown"] = "00:00:00",
    };

    private HttpTestHost Host(Dictionary<string, string?>? settings = null) => new(azurite, _queue, settings ?? AppServiceAuth);

    /// <summary>The target's profile grants each operation to its own app role (and reading to a group too); it has a
    /// run and a dataset (ingested for real) so every function has something to answer with.</summary>
    private async Task<string> ArrangeAsync(string target, bool withAccess = true)
    {
        using var local = Host(new Dictionary<string, string?>());
        var blobs = azurite.BlobService();
        foreach (var c in StorageLayout.Containers) await blobs.GetBlobContainerClient(c).CreateIfNotExistsAsync();
        if (withAccess)
            await new TargetProfileStore(blobs).WriteAsync(target, new TargetProfile
            {
                Access = new TargetAccess
                {
                    Read = new AccessRule { Roles = ["Pipeline.Read"], Groups = [ReaderGroup] },
                    Upload = new AccessRule { Roles = ["Pipeline.Upload"] },
                    Retrain = new AccessRule { Roles = ["Pipeline.Retrain"] },
                },
            }, default);
        var ingestion = local.Get<IngestionService>();
        var pairs = PreferenceFiles.Pairs(TargetProfile.DefaultMinRows);
        await ingestion.UploadAsync(target, "seed.jsonl", new MemoryStream(Encoding.UTF8.GetBytes(pairs)));
        var dataset = (await ingestion.IngestAsync(target, "seed.jsonl")).DatasetId!;
        var now = DateTimeOffset.UtcNow;
        await new RunStore(blobs).TryCreateStatusAsync(new RunStatus
        {
            State = RunState.Succeeded, Target = target, RunId = "run-a", RequestId = "req-a", DatasetIds = [dataset], CreatedAt = now, UpdatedAt = now,
        }, default);
        return dataset;
    }

    public static TheoryData<string, string, int> Functions => new()
    {
        // function, the role it needs, what an allowed call answers
        { "ListRuns", "Pipeline.Read", StatusCodes.Status200OK },
        { "GetRun", "Pipeline.Read", StatusCodes.Status200OK },
        { "ListVersions", "Pipeline.Read", StatusCodes.Status200OK },
        { "GetReport", "Pipeline.Read", StatusCodes.Status200OK },
        { "UploadFile", "Pipeline.Upload", StatusCodes.Status201Created },
        { "RequestRetrain", "Pipeline.Retrain", StatusCodes.Status202Accepted },
    };

    private static async Task<int> CallAsync(HttpTestHost host, string function, HttpRequest request, string target, string dataset)
    {
        var result = function switch
        {
            "ListRuns" => await host.Runs.ListRuns(request, target, default),
            "GetRun" => await host.Runs.GetRun(request, target, "run-a", default),
            "ListVersions" => await host.Runs.ListVersions(request, target, default),
            "GetReport" => await host.Get<GetReportFunction>().Run(request, target, dataset, default),
            "UploadFile" => await host.Get<UploadFileFunction>().Run(WithBody(request, "{\"prompt\": \"P?\", \"chosen\": \" A.\", \"rejected\": \" B.\"}\n"), target, $"up-{Guid.NewGuid():N}.jsonl", default),
            "RequestRetrain" => await host.Runs.RequestRetrain(request, target, default),
            _ => throw new ArgumentOutOfRangeException(nameof(function)),
        };
        return result switch
        {
            ObjectResult o => o.StatusCode ?? StatusCodes.Status200OK,
            ContentResult c => c.StatusCode ?? StatusCodes.Status200OK,
            StatusCodeResult s => s.StatusCode,
            _ => throw new InvalidOperationException($"unexpected result {result.GetType().Name}"),
        };
    }

    private static HttpRequest WithBody(HttpRequest request, string body)
    {
        request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        return request;
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task A_caller_with_the_targets_role_for_the_operation_is_allowed(string function, string role, int allowed)
    {
        var dataset = await ArrangeAsync(_target);
        using var host = Host();

        var status = await CallAsync(host, function, HttpTestHost.Request(principal: HttpTestHost.Principal("alice", [role])), _target, dataset);

        Assert.Equal(allowed, status);
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task A_caller_without_a_principal_gets_401_and_one_with_another_operations_role_gets_403(string function, string role, int allowed)
    {
        var dataset = await ArrangeAsync(_target);
        using var host = Host();
        var otherRoles = new[] { "Pipeline.Read", "Pipeline.Upload", "Pipeline.Retrain", "Pipeline.Admin" }.Where(r => r != role);

        var anonymous = await CallAsync(host, function, HttpTestHost.Request(), _target, dataset);
        var wrongRole = await CallAsync(host, function, HttpTestHost.Request(principal: HttpTestHost.Principal("bob", otherRoles)), _target, dataset);
        var garbage = await CallAsync(host, function, HttpTestHost.Request(principal: "not base64 json"), _target, dataset);

        Assert.NotEqual(StatusCodes.Status401Unauthorized, allowed);
        Assert.Equal(StatusCodes.Status401Unauthorized, anonymous);
        Assert.Equal(StatusCodes.Status403Forbidden, wrongRole);
        Assert.Equal(StatusCodes.Status401Unauthorized, garbage);
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task A_role_granted_on_one_target_opens_no_other_target(string function, string role, int allowed)
    {
        await ArrangeAsync(_target);
        var other = _target + "-other";
        var otherDataset = await ArrangeAsync(other, withAccess: false); // a target without access rules is closed
        using var host = Host();

        var status = await CallAsync(host, function, HttpTestHost.Request(principal: HttpTestHost.Principal("alice", [role])), other, otherDataset);

        Assert.NotEqual(StatusCodes.Status403Forbidden, allowed);
        Assert.Equal(StatusCodes.Status403Forbidden, status);
    }

    [Fact]
    public async Task Group_membership_and_the_hosts_claims_principal_grant_what_the_profile_names()
    {
        var dataset = await ArrangeAsync(_target);
        using var host = Host();
        var viaClaims = HttpTestHost.Request();
        viaClaims.HttpContext.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("roles", "Pipeline.Upload")], "aad"));

        var byGroup = await CallAsync(host, "ListRuns", HttpTestHost.Request(principal: HttpTestHost.Principal("carol", groups: [ReaderGroup.ToUpperInvariant()])), _target, dataset);
        var groupCannotRetrain = await CallAsync(host, "RequestRetrain", HttpTestHost.Request(principal: HttpTestHost.Principal("carol", groups: [ReaderGroup])), _target, dataset);
        var byClaims = await CallAsync(host, "UploadFile", viaClaims, _target, dataset);

        Assert.Equal(StatusCodes.Status200OK, byGroup);
        Assert.Equal(StatusCodes.Status403Forbidden, groupCannotRetrain);
        Assert.Equal(StatusCodes.Status201Created, byClaims);
    }

    [Fact]
    public async Task Local_mode_lets_every_caller_through_as_func_start_on_a_laptop_does()
    {
        var dataset = await ArrangeAsync(_target, withAccess: false);
        using var host = Host(new Dictionary<string, string?> { ["Access:Mode"] = "Local" });

        Assert.Equal(StatusCodes.Status200OK, await CallAsync(host, "ListRuns", HttpTestHost.Request(), _target, dataset));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("False")]
    public async Task Without_app_service_authentication_a_principal_header_is_not_trusted_even_with_the_right_role(string? authEnabled)
    {
        var dataset = await ArrangeAsync(_target);
        using var host = Host(new Dictionary<string, string?> { ["Access:Mode"] = "AppServiceAuthentication", [AccessOptions.PlatformAuthenticationSetting] = authEnabled });

        // Anyone can write this header when the platform does not strip it.
        var forged = await CallAsync(host, "ListRuns", HttpTestHost.Request(principal: HttpTestHost.Principal("mallory", ["Pipeline.Read"])), _target, dataset);

        Assert.Equal(StatusCodes.Status401Unauthorized, forged);
    }

    [Fact]
    public void Local_mode_in_app_service_stops_the_host_at_start()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [PipelineFunctionsExtensions.ConnectionSetting] = azurite.ConnectionString,
            ["Access:Mode"] = "Local",
            [AccessOptions.HostedSiteSetting] = "pipeline-func",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddPipelineFunctions(configuration).BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<AccessOptions>>().Value);

        Assert.Contains("this host runs in App Service", e.Message);
    }
}
