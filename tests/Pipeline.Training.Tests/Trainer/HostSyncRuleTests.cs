// GPU readiness checked on the CPU: an analyzer-style rule over the training library's own source. From the training
// step (OrpoTrainer.TrainStep) it follows every call into the library (overrides, method groups, lambdas, forward hooks)
// and fails on any read from the device (.item(), .cpu(), data<T>(), ToArray, .to(CPU), clip_grad_norm_ returning a
// double, ...) outside HostSync, whose two reads are the step's guard and the logged metrics. Each is a host sync on CUDA.
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Pipeline.Testing;

namespace Pipeline.Training.Tests.Trainer;

public sealed class HostSyncRuleTests
{
    private static readonly string SourceRoot = Path.Combine(RepoPaths.Root, "trainer", "Pipeline.Training");

    /// <summary>TorchSharp members that copy tensor values to the host (or return them as .NET values).</summary>
    private static readonly HashSet<string> HostReads =
    [
        "item", "data", "cpu", "tolist", "ToArray", "bytes", "ToScalar", "ToSingle", "ToDouble", "ToHalf", "ToInt16", "ToInt32",
        "ToInt64", "ToBoolean", "ToBFloat16", "allclose", "equal", "numpy", "ToString", "str", "print", "WriteBytesToStream",
        "clip_grad_norm_",
    ];

    /// <summary>The library compiled once for both tests (binding every method body is the slow part).</summary>
    private static readonly Lazy<CSharpCompilation> Library = new(Compile);

    [Fact]
    public void Nothing_reachable_from_the_training_step_reads_the_device_except_through_HostSync()
    {
        var result = Analyze(Library.Value);

        Assert.Empty(result.Violations);
        // The walk reached the whole step: model, adapter hook, checkpointing, chunked log-probs, loss, clipping, AdamW.
        foreach (var member in new[] { "Attention.Forward", "LoraAdapter.AddDelta", "CheckpointedDecoder.Backward", "ChunkedTokenLogps.Backward",
                     "OrpoLoss.FromTokenLogps", "GradientClipping.ClipGradNorm", "AdamW.Step", "Bf16MasterWeights.PullGradients", "Rotary.Angles" })
            Assert.Contains(member, result.Visited);
        Assert.Equal(["HostSync.StepGuard"], result.SyncCalls.Order());
    }

    [Fact]
    public void The_rule_finds_a_host_read_planted_deep_in_the_step()
    {
        // A .item() in the loss, three calls below the step, as a careless metric would add it.
        var planted = "        var nllTokens = nllMask.sum();\n";
        var library = Library.Value;
        var loss = library.SyntaxTrees.Single(t => t.FilePath.EndsWith("OrpoLoss.cs", StringComparison.Ordinal));
        Assert.Contains(planted, loss.ToString());
        var withRead = loss.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            loss.ToString().Replace(planted, planted + "        Console.WriteLine(nllTokens.item<float>());\n")));
        var result = Analyze(library.ReplaceSyntaxTree(loss, withRead));

        var violation = Assert.Single(result.Violations);
        Assert.Contains("OrpoLoss.FromTokenLogps", violation);
        Assert.Contains("item", violation);
    }

    private sealed record Analysis(List<string> Violations, HashSet<string> Visited, List<string> SyncCalls);

    private static CSharpCompilation Compile()
    {
        var options = new CSharpParseOptions(LanguageVersion.Preview);
        var files = Directory.EnumerateFiles(SourceRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), options, f)).ToList();
        trees.Add(CSharpSyntaxTree.ParseText("global using System; global using System.IO; global using System.Linq; global using System.Net.Http; " +
            "global using System.Collections.Generic; global using System.Threading; global using System.Threading.Tasks;", options));
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll"))
            .Where(p => Path.GetFileName(p) is not ("Pipeline.Training.dll" or "Pipeline.Training.Tests.dll" or "Pipeline.Testing.dll"))
            .DistinctBy(Path.GetFileName).Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("Pipeline.Training", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(5).ToList();
        Assert.True(errors.Count == 0, "the library's source must compile for the rule to see it: " + string.Join("; ", errors));
        return compilation;
    }

    private static Analysis Analyze(CSharpCompilation compilation)
    {
        var trees = compilation.SyntaxTrees.ToList();
        var sourceMethods = trees.SelectMany(t => t.GetRoot().DescendantNodes().OfType<BaseMethodDeclarationSyntax>()
            .Select(m => compilation.GetSemanticModel(t).GetDeclaredSymbol(m)).OfType<IMethodSymbol>()).ToList();
        var queue = new Queue<SyntaxNode>();
        var seen = new HashSet<SyntaxNode>();
        void Enqueue(SyntaxNode node) { if (seen.Add(node)) queue.Enqueue(node); }

        foreach (var t in trees)
            foreach (var m in t.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
                if (m.Identifier.Text == "TrainStep" && m.Parent is ClassDeclarationSyntax { Identifier.Text: "OrpoTrainer" })
                    Enqueue(m);
        // Forward hooks run inside the modules' .call(), wherever they were registered.
        foreach (var t in trees)
            foreach (var call in t.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
                if (call.Expression is MemberAccessExpressionSyntax { Name.Identifier.Text: "register_forward_hook" })
                    foreach (var arg in call.ArgumentList.Arguments)
                        Enqueue(arg.Expression);
        Assert.NotEmpty(queue);

        var result = new Analysis([], [], []);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            var model = compilation.GetSemanticModel(node.SyntaxTree);
            var where = Describe(node);
            result.Visited.Add(where);
            foreach (var expression in node.DescendantNodesAndSelf().OfType<ExpressionSyntax>())
            {
                if (expression is not (InvocationExpressionSyntax or MemberAccessExpressionSyntax or IdentifierNameSyntax or BaseObjectCreationExpressionSyntax or ElementAccessExpressionSyntax))
                    continue;
                var symbol = model.GetSymbolInfo(expression).Symbol;
                if (symbol is null)
                    continue;
                if (symbol.ContainingType?.Name == "HostSync")
                {
                    if (expression is InvocationExpressionSyntax) result.SyncCalls.Add($"HostSync.{symbol.Name}");
                    continue;
                }
                if (IsHostRead(symbol, expression, model))
                {
                    var line = expression.GetLocation().GetLineSpan();
                    result.Violations.Add($"{where}: {symbol.ContainingType?.Name}.{symbol.Name} at {Path.GetFileName(line.Path)}:{line.StartLinePosition.Line + 1}");
                    continue;
                }
                foreach (var target in Targets(symbol, sourceMethods))
                    foreach (var reference in target.DeclaringSyntaxReferences)
                        // A record's primary constructor is declared by the whole record: only its parameters run.
                        Enqueue(reference.GetSyntax() is TypeDeclarationSyntax { ParameterList: { } parameters } ? parameters : reference.GetSyntax());
            }
        }
        return result;
    }

    /// <summary>The symbol itself, plus for a virtual or interface member every override or implementation in the library.</summary>
    private static IEnumerable<ISymbol> Targets(ISymbol symbol, IReadOnlyList<IMethodSymbol> sourceMethods)
    {
        var definition = symbol.OriginalDefinition;
        if (definition is not (IMethodSymbol or IPropertySymbol))
            yield break; // types, fields, locals: nothing runs
        if (definition is IPropertySymbol property)
        {
            if (property.GetMethod is { } get) yield return get;
            yield break;
        }
        yield return definition;
        if (definition is not IMethodSymbol method || !(method.IsVirtual || method.IsAbstract || method.IsOverride || method.ContainingType.TypeKind == TypeKind.Interface))
            yield break;
        foreach (var candidate in sourceMethods)
        {
            for (var o = candidate.OverriddenMethod; o is not null; o = o.OverriddenMethod)
                if (SymbolEqualityComparer.Default.Equals(o.OriginalDefinition, method))
                    yield return candidate;
            if (candidate.ContainingType.FindImplementationForInterfaceMember(method) is { } impl && SymbolEqualityComparer.Default.Equals(impl, candidate))
                yield return candidate;
        }
    }

    private static bool IsHostRead(ISymbol symbol, ExpressionSyntax expression, SemanticModel model)
    {
        var ns = symbol.ContainingNamespace?.ToDisplayString() ?? "";
        if (!ns.StartsWith("TorchSharp", StringComparison.Ordinal) || expression is IdentifierNameSyntax { Parent: MemberAccessExpressionSyntax })
            return false;
        if (HostReads.Contains(symbol.Name) && symbol.ContainingType?.Name is "Tensor" or "TensorAccessor" or "TensorExtensionMethods" or "utils")
            return expression is not MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax } || symbol is IPropertySymbol;
        // .to(CPU) / .to(DeviceType.CPU): a copy to the host.
        if (symbol.Name == "to" && expression is InvocationExpressionSyntax call)
            return call.ArgumentList.Arguments.Any(a => model.GetSymbolInfo(a.Expression).Symbol is { Name: "CPU" });
        return false;
    }

    private static string Describe(SyntaxNode node)
    {
        var member = node.AncestorsAndSelf().FirstOrDefault(n => n is BaseMethodDeclarationSyntax or PropertyDeclarationSyntax or AccessorDeclarationSyntax
            or LocalFunctionStatementSyntax);
        var type = node.Ancestors().OfType<TypeDeclarationSyntax>().FirstOrDefault()?.Identifier.Text ?? "?";
        var name = member switch
        {
            MethodDeclarationSyntax m => m.Identifier.Text,
            ConstructorDeclarationSyntax => ".ctor",
            PropertyDeclarationSyntax p => p.Identifier.Text,
            AccessorDeclarationSyntax a => (a.Parent?.Parent as PropertyDeclarationSyntax)?.Identifier.Text ?? a.Keyword.Text,
            LocalFunctionStatementSyntax l => l.Identifier.Text,
            _ => "lambda",
        };
        return $"{type}.{name}";
    }
}
