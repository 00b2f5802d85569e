// A block-style YAML subset reader for compose and azure.yaml: mappings, sequences (of scalars or mappings), plain,
// quoted and flow-list scalars, literal (|) and folded (>, >-) blocks. Anchors, tags and flow maps are refused.
namespace Pipeline.Infra.Tests.Docker;

public static class MiniYaml
{
    private sealed record Line(int Indent, string Text, int Number);

    /// <summary>Returns nested Dictionary&lt;string, object?&gt; / List&lt;object?&gt; / string; errors name file and line.</summary>
    public static Dictionary<string, object?> Parse(string path)
    {
        var raw = File.ReadAllLines(path);
        var lines = new List<Line>();
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i].Contains('\t') && raw[i].TrimStart().Length > 0 && raw[i][..(raw[i].Length - raw[i].TrimStart().Length)].Contains('\t'))
                throw new FormatException($"{path}:{i + 1}: tab in indentation");
            var text = StripComment(raw[i]).TrimEnd();
            if (text.Trim().Length == 0) { lines.Add(new Line(-1, "", i + 1)); continue; }
            lines.Add(new Line(text.Length - text.TrimStart().Length, text.Trim(), i + 1));
        }
        var pos = 0;
        var root = ParseBlock(lines, ref pos, 0, path);
        SkipBlank(lines, ref pos);
        if (pos < lines.Count) throw new FormatException($"{path}:{lines[pos].Number}: unexpected indentation");
        return root as Dictionary<string, object?> ?? throw new FormatException($"{path}: top level is not a mapping");
    }

    private static string StripComment(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is not null) { if (c == quote) quote = null; continue; }
            if (c is '"' or '\'') quote = c;
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i];
        }
        return line;
    }

    private static void SkipBlank(List<Line> lines, ref int pos)
    {
        while (pos < lines.Count && lines[pos].Indent < 0) pos++;
    }

    private static object ParseBlock(List<Line> lines, ref int pos, int indent, string path)
    {
        SkipBlank(lines, ref pos);
        if (pos >= lines.Count) return new Dictionary<string, object?>();
        return lines[pos].Text.StartsWith("- ") || lines[pos].Text == "-"
            ? ParseSequence(lines, ref pos, lines[pos].Indent, path)
            : ParseMapping(lines, ref pos, lines[pos].Indent, path);
    }

    private static List<object?> ParseSequence(List<Line> lines, ref int pos, int indent, string path)
    {
        var list = new List<object?>();
        while (true)
        {
            SkipBlank(lines, ref pos);
            if (pos >= lines.Count || lines[pos].Indent != indent || !lines[pos].Text.StartsWith('-')) return list;
            var line = lines[pos];
            var rest = line.Text[1..].TrimStart();
            if (rest.Length == 0) { pos++; list.Add(ParseBlock(lines, ref pos, indent + 1, path)); continue; }
            if (IsKeyValue(rest))
            {
                // "- key: value" opens a mapping whose keys sit where "key" starts.
                var itemIndent = indent + (line.Text.Length - rest.Length);
                lines[pos] = new Line(itemIndent, rest, line.Number);
                list.Add(ParseMapping(lines, ref pos, itemIndent, path));
            }
            else { list.Add(Scalar(rest, path, line.Number)); pos++; }
        }
    }

    private static Dictionary<string, object?> ParseMapping(List<Line> lines, ref int pos, int indent, string path)
    {
        var map = new Dictionary<string, object?>();
        while (true)
        {
            SkipBlank(lines, ref pos);
            if (pos >= lines.Count || lines[pos].Indent < indent) return map;
            var line = lines[pos];
            if (line.Indent > indent) throw new FormatException($"{path}:{line.Number}: unexpected indentation");
            if (!IsKeyValue(line.Text)) throw new FormatException($"{path}:{line.Number}: expected 'key: value', got '{line.Text}'");
            var colon = KeyColon(line.Text);
            var key = Unquote(line.Text[..colon].Trim());
            var value = line.Text[(colon + 1)..].Trim();
            if (map.ContainsKey(key)) throw new FormatException($"{path}:{line.Number}: duplicate key '{key}'");
            pos++;
            if (value is "|" or "|-" or ">" or ">-")
                map[key] = BlockScalar(lines, ref pos, indent, folded: value.StartsWith('>'));
            else if (value.Length == 0)
            {
                SkipBlank(lines, ref pos);
                var nested = pos < lines.Count && (lines[pos].Indent > indent
                    || (lines[pos].Indent == indent && lines[pos].Text.StartsWith('-')));
                map[key] = nested ? ParseBlock(lines, ref pos, indent + 1, path) : null;
            }
            else map[key] = Scalar(value, path, line.Number);
        }
    }

    private static string BlockScalar(List<Line> lines, ref int pos, int indent, bool folded)
    {
        var parts = new List<string>();
        while (pos < lines.Count && (lines[pos].Indent < 0 || lines[pos].Indent > indent))
        {
            parts.Add(lines[pos].Text);
            pos++;
        }
        return string.Join(folded ? " " : "\n", parts.Where(p => p.Length > 0 || !folded));
    }

    private static bool IsKeyValue(string text) => KeyColon(text) > 0;

    private static int KeyColon(string text)
    {
        if (text.StartsWith('"') || text.StartsWith('\''))
        {
            var end = text.IndexOf(text[0], 1);
            return end > 0 && end + 1 < text.Length && text[end + 1] == ':' ? end + 1 : -1;
        }
        for (var i = 0; i < text.Length; i++)
            if (text[i] == ':' && (i + 1 == text.Length || text[i + 1] == ' ')) return i;
        return -1;
    }

    private static object Scalar(string value, string path, int line)
    {
        if (value.StartsWith('&') || value.StartsWith('*') || value.StartsWith('!') || value.StartsWith('{'))
            throw new FormatException($"{path}:{line}: anchors, tags and flow mappings are not supported");
        if (value.StartsWith('['))
        {
            if (!value.EndsWith(']')) throw new FormatException($"{path}:{line}: unterminated flow sequence");
            return value[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => (object?)Unquote(v)).ToList();
        }
        return Unquote(value);
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0] ? value[1..^1] : value;
}
