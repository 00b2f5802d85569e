// infra/trainer.Dockerfile.dockerignore keeps host build outputs out of the image's build context without hiding
// anything the Dockerfile copies.
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Docker;

public sealed class DockerIgnoreTests
{
    private static readonly string[] Patterns = File.ReadAllLines(Path.Combine(RepoPaths.Root, "infra", "trainer.Dockerfile.dockerignore"))
        .Select(l => l.Trim())
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .ToArray();

    [Fact]
    public void Excludes_host_bin_obj_and_node_modules()
    {
        Assert.Contains("**/bin/", Patterns);
        Assert.Contains("**/obj/", Patterns);
        Assert.Contains("node_modules/", Patterns);
    }

    [Fact]
    public void Excludes_nothing_the_dockerfile_copies()
    {
        var file = Dockerfile.Parse(Path.Combine(RepoPaths.Root, "infra", "trainer.Dockerfile"));
        var sources = file.Stages.SelectMany(s => s.Copies).Where(c => c.From is null).SelectMany(c => c.Sources).ToList();
        var topLevelExcludes = Patterns.Where(p => !p.StartsWith("**/")).Select(p => p.TrimEnd('/')).ToList();

        foreach (var source in sources)
            Assert.DoesNotContain(topLevelExcludes, p => source.TrimEnd('/') == p || source.StartsWith(p + "/"));
    }
}
