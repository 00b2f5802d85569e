// The profile's "access" section: roles and groups per operation, validated with the profile (unknown operations and
// keys, spaces in role values, group ids that are not GUIDs), and left out of the profile hash.
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Tests.Targets;

public sealed class TargetAccessTests
{
    [Fact]
    public void Reads_roles_and_groups_per_operation_and_matches_groups_in_any_case()
    {
        var profile = TargetProfile.Parse("""
            {"access": {"read": {"roles": ["Pipeline.Read"], "groups": ["6f1c2a8e-1111-4c3b-9a55-0123456789ab"]},
                        "retrain": {"roles": ["Pipeline.Retrain"]}}}
            """, "config/targets/agent.json");
        var groups = new HashSet<string>(["6F1C2A8E-1111-4C3B-9A55-0123456789AB"], StringComparer.OrdinalIgnoreCase);

        Assert.True(profile.Access!.For(TargetOperation.Read).Allows(new HashSet<string>(), groups));
        Assert.True(profile.Access.For(TargetOperation.Retrain).Allows(new HashSet<string> { "Pipeline.Retrain" }, new HashSet<string>()));
        Assert.False(profile.Access.For(TargetOperation.Upload).Allows(new HashSet<string> { "Pipeline.Retrain", "Pipeline.Read" }, groups));
        Assert.False(profile.Access.For(TargetOperation.Retrain).Allows(new HashSet<string> { "pipeline.retrain" }, new HashSet<string>()));
    }

    [Theory]
    [InlineData("""{"access": {"write": {}}}""", "'write'")]
    [InlineData("""{"access": {"read": {"users": ["alice"]}}}""", "'users'")]
    [InlineData("""{"access": {"read": {"roles": ["Pipeline Read"]}}}""", "access.read.roles entry 'Pipeline Read'")]
    [InlineData("""{"access": {"upload": {"groups": ["admins"]}}}""", "access.upload.groups entry 'admins' must be a group object id")]
    [InlineData("""{"access": {"retrain": {"roles": null}}}""", "access.retrain.roles is null")]
    [InlineData("""{"access": {"retrain": null}}""", "access.retrain is null")]
    public void Rejects_a_bad_access_section_naming_what_is_wrong(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => TargetProfile.Parse(json, "config/targets/agent.json"));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Granting_access_does_not_change_the_profile_hash_so_the_same_data_is_not_trained_again()
    {
        var open = TargetProfile.Parse("""{"max_chars": 500}""", "p.json");
        var granted = open with { Access = new TargetAccess { Read = new AccessRule { Roles = ["Pipeline.Read"] } } };

        Assert.Equal(TargetProfileStore.Hash(open), TargetProfileStore.Hash(granted));
        Assert.Contains("Pipeline.Read", granted.ToJson());
        Assert.DoesNotContain("access", open.ToJson());
    }
}
