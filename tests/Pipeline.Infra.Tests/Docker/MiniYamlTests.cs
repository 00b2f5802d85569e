// The YAML subset reader itself.
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Docker;

public sealed class MiniYamlTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string Input => _dir.File("input.yml");

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, object?> Parse(string text)
    {
        File.WriteAllText(Input, text);
        return MiniYaml.Parse(Input);
    }

    [Fact]
    public void Reads_nested_mappings_sequences_of_mappings_flow_lists_and_folded_blocks()
    {
        var doc = Parse("""
            a:
              b: "x: y"   # comment
              list:
                - one
                - name: n
                  caps: [gpu, compute]
              text: >-
                hello
                world
            """);

        var a = (Dictionary<string, object?>)doc["a"]!;
        Assert.Equal("x: y", a["b"]);
        var list = (List<object?>)a["list"]!;
        Assert.Equal("one", list[0]);
        var item = (Dictionary<string, object?>)list[1]!;
        Assert.Equal("n", item["name"]);
        Assert.Equal(["gpu", "compute"], ((List<object?>)item["caps"]!).Cast<string>());
        Assert.Equal("hello world", a["text"]);
    }

    [Fact]
    public void Rejects_bad_indentation_naming_file_and_line()
    {
        var error = Assert.Throws<FormatException>(() => Parse("a:\n  b: 1\n    c: 2\n"));

        Assert.Contains($"{Input}:3", error.Message);
    }
}
