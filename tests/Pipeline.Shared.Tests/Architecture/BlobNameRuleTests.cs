// StorageLayout is the one place that spells container and blob names: outside it, no call into the Blob SDK may
// build a name from a string literal, and no file name StorageLayout uses for a blob appears as a literal elsewhere.
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Pipeline.Shared.Storage;

namespace Pipeline.Shared.Tests.Architecture;

public sealed class BlobNameRuleTests
{
    private const string LayoutFile = "shared/Pipeline.Shared/Storage/StorageLayout.cs";

    /// <summary>Blob SDK calls whose arguments name a container or a blob.</summary>
    private static readonly HashSet<string> NamingCalls =
    [
        "GetBlobContainerClient", "GetBlobClient", "GetBlockBlobClient", "GetAppendBlobClient", "GetPageBlobClient",
        "GetBlobBaseClient", "GetBlobsAsync", "GetBlobsByHierarchyAsync", "UploadBlobAsync", "DeleteBlobAsync",
        "DeleteBlobIfExistsAsync", "CreateBlobContainerAsync", "DeleteBlobContainerAsync",
    ];

    /// <summary>The code that reaches storage: everything but the TorchSharp library, which never touches a blob.</summary>
    private static IEnumerable<SourceFile> StorageCode =>
        ProductSources.All.Where(f => f.Path != LayoutFile && !f.Path.StartsWith("trainer/Pipeline.Training/", StringComparison.Ordinal));

    [Fact]
    public void No_blob_sdk_call_outside_StorageLayout_names_a_blob_with_a_literal()
    {
        var offending = StorageCode.SelectMany(LiteralNamedCalls).Distinct().ToList();

        Assert.True(offending.Count == 0, "blob names spelled outside StorageLayout:\n" + string.Join("\n", offending));
    }

    [Fact]
    public void No_blob_file_name_of_StorageLayout_is_spelled_elsewhere()
    {
        var names = LayoutFileNames();
        var offending = StorageCode
            .SelectMany(f => f.Root.DescendantNodes().OfType<LiteralExpressionSyntax>()
                .Where(l => l.IsKind(SyntaxKind.StringLiteralExpression) && names.Contains(l.Token.ValueText))
                .Select(l => $"{f.Path}:{f.Line(l)}: \"{l.Token.ValueText}\""))
            .ToList();

        Assert.NotEmpty(names);
        Assert.True(offending.Count == 0, "blob file names spelled outside StorageLayout:\n" + string.Join("\n", offending));
    }

    [Fact]
    public void The_rule_flags_literal_blob_names_and_lets_layout_names_pass()
    {
        var bad = Parse("""
            class C { void M(Azure.Storage.Blobs.BlobContainerClient runs, string t, string r) {
                runs.GetBlobClient($"{t}/{r}/status.json");
                runs.GetBlobsAsync(new GetBlobsOptions { Prefix = t + "/" });
                runs.GetBlobClient(StorageLayout.RunStatusBlob(t, r));
            } }
            """);

        Assert.Equal(2, LiteralNamedCalls(bad).Select(place => place.Split(':')[1]).Distinct().Count());
    }

    /// <summary>"path:line: call" for each naming call whose arguments hold a string literal or interpolated string.</summary>
    private static IEnumerable<string> LiteralNamedCalls(SourceFile file)
    {
        foreach (var call in file.Root.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            var name = call.Expression switch
            {
                MemberAccessExpressionSyntax m => m.Name.Identifier.Text,
                IdentifierNameSyntax i => i.Identifier.Text,
                _ => "",
            };
            if (NamingCalls.Contains(name) && HasLiteral(call.ArgumentList)) yield return $"{file.Path}:{file.Line(call)}: {call}";
        }
        // Listing options: new GetBlobsOptions { Prefix = ... }
        foreach (var init in file.Root.DescendantNodes().OfType<AssignmentExpressionSyntax>())
            if (init.Left is IdentifierNameSyntax { Identifier.Text: "Prefix" } && init.Parent is InitializerExpressionSyntax && HasLiteral(init.Right))
                yield return $"{file.Path}:{file.Line(init)}: {init}";
    }

    private static bool HasLiteral(SyntaxNode node) => node.DescendantNodesAndSelf().Any(n =>
        n is InterpolatedStringExpressionSyntax || n is LiteralExpressionSyntax l && l.IsKind(SyntaxKind.StringLiteralExpression));

    /// <summary>Every file name StorageLayout gives a blob: its constants and the literal names in its source.</summary>
    private static HashSet<string> LayoutFileNames()
    {
        var names = typeof(StorageLayout).GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!)
            .Where(v => v.Contains('.', StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var layout = ProductSources.All.Single(f => f.Path == LayoutFile);
        foreach (var literal in layout.Root.DescendantNodes().OfType<LiteralExpressionSyntax>().Where(l => l.IsKind(SyntaxKind.StringLiteralExpression)))
            if (System.Text.RegularExpressions.Regex.IsMatch(literal.Token.ValueText, @"^[A-Za-z_][\w-]*\.(json|jsonl|md|html|bin)$"))
                names.Add(literal.Token.ValueText);
        foreach (var text in layout.Root.DescendantNodes().OfType<InterpolatedStringTextSyntax>())
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text.TextToken.ValueText, @"[A-Za-z_][\w-]*\.(json|jsonl)$"))
                names.Add(m.Value);
        return names;
    }

    private static SourceFile Parse(string code) =>
        new("test.cs", "", CSharpSyntaxTree.ParseText(code).GetCompilationUnitRoot());
}
