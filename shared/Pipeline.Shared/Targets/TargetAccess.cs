// Who may call a target's HTTP functions: the profile's "access" section names, per operation, the Entra ID app roles
// and security groups (object ids) whose members are allowed. The functions check it against the caller's claims.
using System.Text.Json.Serialization;

namespace Pipeline.Shared.Targets;

/// <summary>What an HTTP caller wants to do with a target.</summary>
public enum TargetOperation
{
    /// <summary>Runs, versions and dataset reports.</summary>
    Read,

    /// <summary>Put files into incoming/.</summary>
    Upload,

    /// <summary>Ask for a retrain (a GPU run).</summary>
    Retrain,
}

public sealed record TargetAccess
{
    /// <summary>Longest list of roles or groups per operation (a profile is not a directory).</summary>
    public const int MaxEntries = 50;

    [JsonPropertyName("read")] public AccessRule Read { get; init; } = new();
    [JsonPropertyName("upload")] public AccessRule Upload { get; init; } = new();
    [JsonPropertyName("retrain")] public AccessRule Retrain { get; init; } = new();

    public AccessRule For(TargetOperation operation) => operation switch
    {
        TargetOperation.Read => Read,
        TargetOperation.Upload => Upload,
        TargetOperation.Retrain => Retrain,
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "unknown operation"),
    };

    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        foreach (var (name, rule) in new[] { ("read", Read), ("upload", Upload), ("retrain", Retrain) })
        {
            if (rule is null) p.Add($"access.{name} is null");
            else p.AddRange(rule.Problems().Select(problem => $"access.{name}.{problem}"));
        }
        return p;
    }
}

/// <summary>A caller is allowed when it holds any of the app roles or is a member of any of the groups.</summary>
public sealed record AccessRule
{
    /// <summary>App role values (the "roles" claim), e.g. "Pipeline.Retrain".</summary>
    [JsonPropertyName("roles")] public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>Security group object ids (the "groups" claim).</summary>
    [JsonPropertyName("groups")] public IReadOnlyList<string> Groups { get; init; } = [];

    public bool Allows(IReadOnlySet<string> roles, IReadOnlySet<string> groups) =>
        Roles.Any(roles.Contains) || Groups.Any(g => groups.Contains(g));

    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (Roles is null) p.Add("roles is null");
        else
        {
            if (Roles.Count > TargetAccess.MaxEntries) p.Add($"roles has {Roles.Count} entries; at most {TargetAccess.MaxEntries}");
            foreach (var role in Roles)
                if (string.IsNullOrEmpty(role) || role.Length > 120 || role.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                    p.Add($"roles entry '{role}' must be an app role value (1-120 characters, no spaces)");
        }
        if (Groups is null) p.Add("groups is null");
        else
        {
            if (Groups.Count > TargetAccess.MaxEntries) p.Add($"groups has {Groups.Count} entries; at most {TargetAccess.MaxEntries}");
            foreach (var group in Groups)
                if (!Guid.TryParseExact(group ?? "", "D", out _))
                    p.Add($"groups entry '{group}' must be a group object id (a GUID like 00000000-0000-0000-0000-000000000000)");
        }
        return p;
    }
}
