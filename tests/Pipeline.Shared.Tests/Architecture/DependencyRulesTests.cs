// The seams of the product, checked on its sources: projects and namespaces form no cycle, and shared references no
// host (training, worker, command line, functions). A failure names the files and the cycle or reference.
using System.Xml.Linq;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Architecture;

public sealed class DependencyRulesTests
{
    [Fact]
    public void Project_references_form_no_cycle_and_follow_the_layers()
    {
        var graph = new Dictionary<string, HashSet<string>>();
        foreach (var csproj in Directory.EnumerateFiles(RepoPaths.Root, "*.csproj", SearchOption.AllDirectories)
                     .Where(p => !p.Contains("/obj/", StringComparison.Ordinal) && !p.Contains("/node_modules/", StringComparison.Ordinal)))
        {
            var name = Path.GetFileNameWithoutExtension(csproj);
            graph[name] = [.. XDocument.Load(csproj).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))];
        }

        Assert.Empty(DependencyGraph.Cycles(graph));
        // Each product project may reference only the layers below it.
        Assert.Empty(graph["Pipeline.Shared"]);
        Assert.Equal(["Pipeline.Shared"], graph["Pipeline.Functions"]);
        Assert.Equal(["Pipeline.Shared"], graph["Pipeline.Training"]);
        Assert.Equal(["Pipeline.Shared", "Pipeline.Training"], graph["Pipeline.Worker"].Order());
        Assert.Equal(["Pipeline.Shared", "Pipeline.Training", "Pipeline.Worker"], graph["Pipeline.Cli"].Order());
    }

    [Fact]
    public void Shared_brings_no_torch_hosting_or_command_line_package()
    {
        var packages = XDocument.Load(Path.Combine(RepoPaths.Root, "shared", "Pipeline.Shared", "Pipeline.Shared.csproj"))
            .Descendants("PackageReference").Select(p => p.Attribute("Include")!.Value).ToList();

        Assert.DoesNotContain(packages, p => p.StartsWith("TorchSharp", StringComparison.Ordinal) || p.StartsWith("libtorch", StringComparison.Ordinal)
            || p.StartsWith("Microsoft.Azure.Functions", StringComparison.Ordinal) || p is "System.CommandLine" or "Spectre.Console" or "ScottPlot");
    }

    [Fact]
    public void Namespaces_form_no_cycle()
    {
        var evidence = new Dictionary<(string From, string To), string>();
        var graph = NamespaceGraph(evidence);

        var cycles = DependencyGraph.Cycles(graph);

        Assert.True(cycles.Count == 0, "namespace cycles:\n" + string.Join("\n", cycles.Select(c => string.Join(" <-> ", c) + ": " +
            string.Join("; ", evidence.Where(e => c.Contains(e.Key.From) && c.Contains(e.Key.To)).Select(e => $"{e.Key.From} -> {e.Key.To} ({e.Value})")))));
    }

    [Fact]
    public void Shared_code_uses_no_namespace_of_a_host()
    {
        var graph = NamespaceGraph([]);
        var offending = graph.Where(kv => kv.Key.StartsWith("Pipeline.Shared", StringComparison.Ordinal))
            .SelectMany(kv => kv.Value.Where(to => !to.StartsWith("Pipeline.Shared", StringComparison.Ordinal)).Select(to => $"{kv.Key} -> {to}"))
            .ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void The_rule_finds_a_cycle_and_a_host_reference_when_there_is_one()
    {
        // The checker itself can fail: a two-namespace cycle and a three-step one are found.
        var graph = new Dictionary<string, HashSet<string>>
        {
            ["A"] = ["B"], ["B"] = ["A", "C"], ["C"] = ["D"], ["D"] = ["E"], ["E"] = ["C"], ["F"] = ["A"],
        };

        var cycles = DependencyGraph.Cycles(graph).Select(c => string.Join(",", c.Order())).Order().ToList();

        Assert.Equal(["A,B", "C,D,E"], cycles);
    }

    /// <summary>Namespace -> the product namespaces whose types its files name (through usings, parent namespaces or
    /// fully qualified names). Only names that a visible namespace declares count, so an unused using adds nothing.</summary>
    /// <param name="evidence">Filled with one place per edge (file:line and the name), for failure messages.</param>
    private static Dictionary<string, HashSet<string>> NamespaceGraph(Dictionary<(string From, string To), string> evidence)
    {
        var declared = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in ProductSources.All)
            foreach (var type in file.Root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Where(t => t.Parent is BaseNamespaceDeclarationSyntax))
                (declared.TryGetValue(type.Identifier.Text, out var set) ? set : declared[type.Identifier.Text] = []).Add(file.Namespace);
        foreach (var file in ProductSources.All)
            foreach (var d in file.Root.DescendantNodes().OfType<DelegateDeclarationSyntax>())
                (declared.TryGetValue(d.Identifier.Text, out var set) ? set : declared[d.Identifier.Text] = []).Add(file.Namespace);
        var namespaces = declared.Values.SelectMany(v => v).ToHashSet(StringComparer.Ordinal);

        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in ProductSources.All)
        {
            var edges = graph.TryGetValue(file.Namespace, out var e) ? e : graph[file.Namespace] = [];
            var visible = file.Root.Usings.Where(u => u.Alias is null && u.StaticKeyword.Text.Length == 0)
                .Select(u => u.Name!.ToString()).ToHashSet(StringComparer.Ordinal);
            for (var ns = file.Namespace; ns.Length > 0; ns = ns.Contains('.') ? ns[..ns.LastIndexOf('.')] : "") visible.Add(ns);
            void Add(string to, Microsoft.CodeAnalysis.SyntaxNode at)
            {
                if (to == file.Namespace || !edges.Add(to)) return;
                evidence.TryAdd((file.Namespace, to), $"{file.Path}:{file.Line(at)} {at}");
            }
            foreach (var name in file.Root.DescendantNodes().OfType<SimpleNameSyntax>())
                if (declared.TryGetValue(name.Identifier.Text, out var owners))
                    foreach (var owner in owners.Where(visible.Contains)) Add(owner, name);
            // Fully qualified references (Pipeline.X.Y.Type) and aliases name their namespace outright.
            foreach (var qualified in file.Root.DescendantNodes().Where(n => n is QualifiedNameSyntax or MemberAccessExpressionSyntax)
                         .Where(n => n.ToString().StartsWith("Pipeline.", StringComparison.Ordinal)
                                     && !n.Ancestors().Any(a => a is UsingDirectiveSyntax
                                         || a is BaseNamespaceDeclarationSyntax declaration && declaration.Name.Span.Contains(n.Span))))
                if (namespaces.Where(ns => qualified.ToString().StartsWith(ns + ".", StringComparison.Ordinal)).MaxBy(ns => ns.Length) is { } target)
                    Add(target, qualified);
        }
        return graph;
    }
}
