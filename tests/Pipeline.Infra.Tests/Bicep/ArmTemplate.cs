// Walks a compiled ARM template (nested module deployments included) and finds resources by type.
using System.Text.Json;

namespace Pipeline.Infra.Tests.Bicep;

public static class ArmTemplate
{
    /// <summary>Every resource declaration (an object with "type" and "apiVersion") anywhere in the template, references
    /// to existing resources ("existing": true) left out.</summary>
    public static IEnumerable<JsonElement> Resources(JsonElement node)
    {
        switch (node.ValueKind)
        {
            case JsonValueKind.Object:
                if (node.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                    && node.TryGetProperty("apiVersion", out _)
                    && !(node.TryGetProperty("existing", out var existing) && existing.ValueKind == JsonValueKind.True))
                    yield return node;
                foreach (var p in node.EnumerateObject())
                foreach (var r in Resources(p.Value))
                    yield return r;
                break;
            case JsonValueKind.Array:
                foreach (var item in node.EnumerateArray())
                foreach (var r in Resources(item))
                    yield return r;
                break;
        }
    }

    public static IReadOnlyList<JsonElement> OfType(JsonElement template, string type) =>
        Resources(template).Where(r => string.Equals(r.GetProperty("type").GetString(), type, StringComparison.OrdinalIgnoreCase)).ToList();

    public static JsonElement Single(JsonElement template, string type)
    {
        var found = OfType(template, type);
        Assert.True(found.Count == 1, $"expected one {type}, found {found.Count}");
        return found[0];
    }

    /// <summary>The module deployment <paramref name="symbolicName"/> of main.bicep (its "condition" and "properties").</summary>
    public static JsonElement Module(JsonElement template, string symbolicName) =>
        template.GetProperty("resources").TryGetProperty(symbolicName, out var module)
            ? module
            : throw new Xunit.Sdk.XunitException($"main.bicep has no module '{symbolicName}'");

    /// <summary>The compiled template of module <paramref name="symbolicName"/>.</summary>
    public static JsonElement ModuleTemplate(JsonElement template, string symbolicName) =>
        Module(template, symbolicName).Path("properties", "template");

    /// <summary>The ARM expression a Bicep condition or value compiled to, e.g. "[parameters('vnetEnabled')]".</summary>
    public static string Expression(this JsonElement e, params string[] names) => e.Path(names).ValueKind == JsonValueKind.String
        ? e.Path(names).GetString()!
        : e.Path(names).GetRawText();

    public static JsonElement Path(this JsonElement e, params string[] names)
    {
        foreach (var n in names)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(n, out var next))
                throw new Xunit.Sdk.XunitException($"no '{n}' in {Truncate(e)}");
            e = next;
        }
        return e;
    }

    private static string Truncate(JsonElement e)
    {
        var s = e.GetRawText();
        return s.Length > 300 ? s[..300] + "..." : s;
    }
}
