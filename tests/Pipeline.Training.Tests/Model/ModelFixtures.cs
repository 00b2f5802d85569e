// Paths to the model test fixtures: the shared tiny-llama and the committed tiny Qwen2 / llama3-RoPE and Qwen3 variants.
using Pipeline.Testing;

namespace Pipeline.Training.Tests.Model;

internal static class ModelFixtures
{
    public static string TinyLlama => RepoPaths.TinyLlama;

    /// <summary>Written by Fixtures/make_tiny_variant.py (float64 pure-Python reference, run once, committed).</summary>
    public static string TinyVariant =>
        Path.Combine(RepoPaths.Root, "tests", "Pipeline.Training.Tests", "Model", "Fixtures", "tiny-qwen2-llama3");

    /// <summary>Qwen3 (q_norm / k_norm, untied), written by the same script.</summary>
    public static string TinyQwen3 =>
        Path.Combine(RepoPaths.Root, "tests", "Pipeline.Training.Tests", "Model", "Fixtures", "tiny-qwen3");
}
