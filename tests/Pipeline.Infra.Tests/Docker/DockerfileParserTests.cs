// The Dockerfile reader itself: continuations, stages, global ARGs and clear errors.
using Pipeline.Testing;

namespace Pipeline.Infra.Tests.Docker;

public sealed class DockerfileParserTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string Input => _dir.File("input.Dockerfile");

    public void Dispose() => _dir.Dispose();

    private Dockerfile Parse(string text)
    {
        File.WriteAllText(Input, text);
        return Dockerfile.Parse(Input);
    }

    [Fact]
    public void Joins_continuation_lines_and_skips_comments_inside_them()
    {
        var file = Parse("FROM alpine\nRUN echo a \\\n# note\n    && echo b\n");

        var run = Assert.Single(file.Final.All("RUN"));
        Assert.Equal("echo a && echo b", run.Arguments);
        Assert.Equal(2, run.Line);
    }

    [Fact]
    public void Splits_stages_and_substitutes_global_args_into_from()
    {
        var file = Parse("ARG TAG=10.0\nFROM sdk:${TAG} AS build\nRUN make\nFROM runtime:$TAG\nCOPY --from=build /out /app\n");

        Assert.Equal(2, file.Stages.Count);
        Assert.Equal(("sdk:10.0", "build"), (file.Stages[0].Image, file.Stages[0].Name));
        Assert.Equal("runtime:10.0", file.Final.Image);
        var copy = Assert.Single(file.Final.Copies);
        Assert.Equal(("build", "/app"), (copy.From, copy.Destination));
    }

    [Fact]
    public void Rejects_an_unknown_instruction_naming_file_and_line()
    {
        var error = Assert.Throws<FormatException>(() => Parse("FROM alpine\nRUNN echo\n"));

        Assert.Contains($"{Input}:2", error.Message);
        Assert.Contains("RUNN", error.Message);
    }
}
