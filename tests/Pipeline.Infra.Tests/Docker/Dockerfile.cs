// A small Dockerfile reader: instructions with their line numbers (continuations joined, comments dropped),
// grouped into build stages, with global ARG defaults substituted into FROM. Enough to check what a file references.
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pipeline.Infra.Tests.Docker;

public sealed record DockerInstruction(string Keyword, string Arguments, int Line);

public sealed record DockerCopy(string? From, IReadOnlyList<string> Sources, string Destination, int Line);

public sealed record DockerStage(string Image, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    public IEnumerable<DockerCopy> Copies => All("COPY").Select(Dockerfile.ParseCopy);
}

public sealed record Dockerfile(string Path, IReadOnlyList<DockerStage> Stages)
{
    private static readonly HashSet<string> Keywords =
    [
        "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR",
        "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER",
    ];

    public DockerStage Final => Stages[^1];

    /// <summary>Parses <paramref name="path"/>; throws <see cref="FormatException"/> naming the file and line of a bad instruction.</summary>
    public static Dockerfile Parse(string path)
    {
        var lines = File.ReadAllLines(path);
        var instructions = new List<DockerInstruction>();
        for (var i = 0; i < lines.Length; i++)
        {
            var text = lines[i].Trim();
            if (text.Length == 0 || text.StartsWith('#')) continue;
            var start = i + 1;
            while (text.EndsWith('\\'))
            {
                text = text[..^1];
                do i++; while (i < lines.Length && lines[i].TrimStart().StartsWith('#'));
                if (i >= lines.Length) throw new FormatException($"{path}:{start}: line continuation runs past the end of the file");
                text += " " + lines[i].Trim();
            }
            var match = Regex.Match(text, @"^(\S+)\s*(.*)$");
            var keyword = match.Groups[1].Value.ToUpperInvariant();
            if (!Keywords.Contains(keyword)) throw new FormatException($"{path}:{start}: unknown instruction '{match.Groups[1].Value}'");
            instructions.Add(new DockerInstruction(keyword, Regex.Replace(match.Groups[2].Value, @"\s+", " ").Trim(), start));
        }

        var globalArgs = new Dictionary<string, string>();
        var stages = new List<DockerStage>();
        List<DockerInstruction>? current = null;
        string image = "", name = "";
        foreach (var ins in instructions)
        {
            if (ins.Keyword == "FROM")
            {
                if (current is not null) stages.Add(new DockerStage(image, name.Length == 0 ? null : name, current));
                var from = Regex.Match(ins.Arguments, @"^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$", RegexOptions.IgnoreCase);
                if (!from.Success) throw new FormatException($"{path}:{ins.Line}: FROM needs an image");
                image = Regex.Replace(from.Groups[1].Value, @"\$\{?(\w+)\}?", m =>
                    globalArgs.TryGetValue(m.Groups[1].Value, out var v) ? v
                        : throw new FormatException($"{path}:{ins.Line}: FROM uses ARG {m.Groups[1].Value} that has no default"));
                name = from.Groups[2].Value;
                current = [];
            }
            else if (current is null)
            {
                if (ins.Keyword != "ARG") throw new FormatException($"{path}:{ins.Line}: {ins.Keyword} before the first FROM");
                var arg = ins.Arguments.Split('=', 2);
                if (arg.Length == 2) globalArgs[arg[0]] = arg[1];
            }
            else current.Add(ins);
        }
        if (current is null) throw new FormatException($"{path}: no FROM instruction");
        stages.Add(new DockerStage(image, name.Length == 0 ? null : name, current));
        return new Dockerfile(path, stages);
    }

    /// <summary>COPY in shell form (flags, sources, destination) or JSON form.</summary>
    public static DockerCopy ParseCopy(DockerInstruction copy)
    {
        var args = copy.Arguments;
        string? from = null;
        while (args.StartsWith("--"))
        {
            var flag = Regex.Match(args, @"^--(\w[\w-]*)=(\S+)\s*");
            if (!flag.Success) throw new FormatException($"line {copy.Line}: bad COPY flag in '{args}'");
            if (flag.Groups[1].Value == "from") from = flag.Groups[2].Value;
            args = args[flag.Length..];
        }
        var parts = args.StartsWith('[')
            ? JsonSerializer.Deserialize<string[]>(args) ?? []
            : args.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) throw new FormatException($"line {copy.Line}: COPY needs a source and a destination");
        return new DockerCopy(from, parts[..^1], parts[^1], copy.Line);
    }

    /// <summary>The exec-form (JSON array) arguments of ENTRYPOINT or CMD.</summary>
    public static IReadOnlyList<string> ExecForm(DockerInstruction instruction) =>
        JsonSerializer.Deserialize<string[]>(instruction.Arguments)
        ?? throw new FormatException($"line {instruction.Line}: {instruction.Keyword} is not in exec form");
}
