// The root .dockerignore (the only one az acr build reads for infra/trainer.Dockerfile): an allow-list of what the
// Dockerfile copies, host build outputs excluded inside it, written in rules that Docker and the Azure CLI read alike.
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Docker;

public sealed class DockerIgnoreTests
{
    private static readonly string[] Rules = File.ReadAllLines(Path.Combine(RepoPaths.Root, ".dockerignore"))
        .Select(l => l.TrimEnd())
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .ToArray();

    [Fact]
    public void Starts_by_leaving_everything_out_and_ends_by_excluding_bin_and_obj_everywhere()
    {
        Assert.Equal("*", Rules[0]);
        Assert.Contains("**/bin", Rules[^3..]);
        Assert.Contains("**/obj", Rules[^3..]);
    }

    [Fact]
    public void Ignore_rules_never_end_in_a_slash_which_the_azure_cli_would_match_against_nothing()
    {
        foreach (var rule in Rules.Where(r => !r.StartsWith('!')))
            Assert.False(rule.EndsWith('/'), $"'{rule}' ends in '/': az acr build never matches it");
    }

    [Fact]
    public void No_dockerfile_specific_ignore_file_hides_the_root_one()
    {
        // BuildKit prefers infra/trainer.Dockerfile.dockerignore, az acr build a trainer.Dockerfile.dockerignore at the root.
        Assert.False(File.Exists(Path.Combine(RepoPaths.Root, "infra", "trainer.Dockerfile.dockerignore")));
        Assert.False(File.Exists(Path.Combine(RepoPaths.Root, "trainer.Dockerfile.dockerignore")));
    }
}
