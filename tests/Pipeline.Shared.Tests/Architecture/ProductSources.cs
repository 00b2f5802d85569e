// The product's C# sources (shared, functions, trainer) parsed once, syntax only, for the architecture rules.
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Architecture;

/// <summary>One source file: its path from the repository root, its namespace and its syntax tree.</summary>
public sealed record SourceFile(string Path, string Namespace, CompilationUnitSyntax Root)
{
    public int Line(SyntaxNode node) => node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
}

public static class ProductSources
{
    /// <summary>The folders holding product code, each one project.</summary>
    public static readonly IReadOnlyList<string> Projects =
    [
        "shared/Pipeline.Shared", "functions/Pipeline.Functions", "trainer/Pipeline.Training", "trainer/Pipeline.Worker",
        "trainer/Pipeline.Cli",
    ];

    public static IReadOnlyList<SourceFile> All { get; } = Load();

    public static IEnumerable<SourceFile> In(string project) => All.Where(f => f.Path.StartsWith(project + "/", StringComparison.Ordinal));

    private static List<SourceFile> Load()
    {
        var files = new List<SourceFile>();
        foreach (var project in Projects)
        {
            var root = System.IO.Path.Combine(RepoPaths.Root, project);
            foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
            {
                var relative = System.IO.Path.GetRelativePath(RepoPaths.Root, path).Replace('\\', '/');
                if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal)) continue;
                var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(path), new CSharpParseOptions(LanguageVersion.Preview), path);
                var unit = tree.GetCompilationUnitRoot();
                var ns = unit.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString() ?? "";
                files.Add(new SourceFile(relative, ns, unit));
            }
        }
        return files;
    }
}
