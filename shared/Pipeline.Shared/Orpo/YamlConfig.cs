// A YAML config (TRL's `--config orpo.yaml`) read into the same JSON object a JSON config gives: mappings, sequences,
// and plain scalars typed as YAML's core schema types them (null, bool, number, else string); quoted scalars stay strings.
using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Pipeline.Shared.Orpo;

internal static class YamlConfig
{
    public static bool IsYaml(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml";

    /// <summary>The top-level mapping of <paramref name="path"/>; errors name the file and line.</summary>
    public static JsonObject Read(string path)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{path}: line {e.Start.Line}: {e.Message}", e);
        }
        if (stream.Documents.Count == 0) return [];
        return ToJson(stream.Documents[0].RootNode, path) as JsonObject
            ?? throw new InvalidDataException($"{path}: the config must be a mapping of keys to values.");
    }

    private static JsonNode? ToJson(YamlNode node, string path) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(
            p.Key is YamlScalarNode { Value: { } key } ? key : throw new InvalidDataException($"{path}: line {p.Key.Start.Line}: a key must be a plain name."),
            ToJson(p.Value, path)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(c => ToJson(c, path))]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidDataException($"{path}: line {node.Start.Line}: aliases are not supported."),
    };

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(v);
        if (v is "" or "~" or "null" or "Null" or "NULL") return null;
        if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) return JsonValue.Create(i);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
