// The demo's base model: a small Llama on a domain tokenizer, warmed up as a causal LM on support prompts with good and
// bad answers alike, so before ORPO it speaks the domain sloppily (a mix of on- and off-policy answers), as an instruct
// model does. Seeded throughout: the same options give the same bytes in any process on the same kind of CPU.
using System.Diagnostics;
using Pipeline.Shared.Tokenization;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Model;
using Pipeline.Training.Orpo;
using Pipeline.Training.Trainer;
using static TorchSharp.torch;

namespace Pipeline.Cli.Demo;

/// <param name="Pairs">Support pairs in the warm-up (each gives two sequences: the good and the bad answer).</param>
/// <param name="Steps">Optimizer steps of the warm-up.</param>
/// <param name="BatchSize">Pairs per step.</param>
/// <param name="Seed">Seeds the tokenizer's text, the weights and the batch order.</param>
public sealed record WarmUpOptions(
    int Pairs = 800, int Steps = 200, int BatchSize = 8, double LearningRate = 5e-3, int VocabSize = 1024,
    int HiddenSize = 128, int Layers = 2, int Seed = 7)
{
    public static readonly WarmUpOptions Default = new();

    public void Validate()
    {
        if (Pairs < BatchSize || Steps < 1 || BatchSize < 1 || !(LearningRate > 0) || VocabSize < 512 || HiddenSize % 32 != 0 || Layers < 1)
            throw new ArgumentException($"warm-up options {this}: need pairs >= batch >= 1, steps >= 1, learning_rate > 0, vocab >= 512, hidden a multiple of 32, layers >= 1");
    }
}

/// <summary>What the warm-up did: its loss at the start and the end (mean over the first and last 10 steps, or half of a shorter run).</summary>
public sealed record WarmUpResult(LlamaConfig Config, int TokenizerSize, double FirstLoss, double LastLoss, TimeSpan Elapsed);

public static class DemoBaseModel
{
    /// <summary>Longest warm-up sequence in tokens (prompt and answer); the data's longest is well under it.</summary>
    public const int MaxLength = 160;

    /// <summary>Writes the tokenizer, config.json and the warmed-up weights into the empty or absent <paramref name="dir"/>.</summary>
    public static WarmUpResult Write(string dir, WarmUpOptions options, CancellationToken ct = default)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var pairs = SupportAgentData.WarmUpPairs(options.Pairs, SupportAgentData.DefaultSeed + options.Seed);
        var vocabulary = DomainTokenizer.Learn(
            pairs.SelectMany(p => new[] { p.Prompt, p.Chosen, p.Rejected }).Concat(["user\n", "assistant\n"]), options.VocabSize);
        DomainTokenizer.Write(vocabulary, dir);
        var tokenizer = HfTokenizer.Load(dir);
        var config = Config(options, vocabulary);

        // The same text training sees: ingestion stores a user and an assistant message, the chat template renders them.
        var chat = PreferenceData.ChatFor(tokenizer)!;
        var rows = pairs.Select((p, i) =>
        {
            var prompt = chat([new ChatMessage("user", p.Prompt)], true);
            string Completion(string answer) => chat([new ChatMessage("user", p.Prompt), new ChatMessage("assistant", answer)], false)[prompt.Length..];
            return new PreferenceRow(i + 1, prompt, Completion(p.Chosen), Completion(p.Rejected), Conversational: true);
        }).ToList();
        var data = TokenizedData.From(rows, tokenizer, MaxLength, OverlongPolicy.Drop);
        if (data.Dropped.Count > 0) throw new InvalidOperationException($"warm-up pair {data.Dropped[0].Line}: {data.Dropped[0].Reason}");

        using var model = new CausalLm(config, options.Seed);
        var losses = Train(model, data, options, ct);
        HfModelFolder.Save(model, dir);
        var window = Math.Clamp(losses.Count / 2, 1, 10);
        return new WarmUpResult(config, vocabulary.Size, losses.Take(window).Average(), losses.TakeLast(window).Average(), clock.Elapsed);
    }

    /// <summary>Llama shape for the domain vocabulary (padded to a multiple of 64), tied embeddings, ChatML special ids.</summary>
    public static LlamaConfig Config(WarmUpOptions options, DomainTokenizer.Vocabulary vocabulary) => new()
    {
        VocabSize = (vocabulary.Size + 63) / 64 * 64, HiddenSize = options.HiddenSize, IntermediateSize = options.HiddenSize * 8 / 3 / 32 * 32,
        NumHiddenLayers = options.Layers, NumAttentionHeads = options.HiddenSize / 32, NumKeyValueHeads = Math.Max(1, options.HiddenSize / 64),
        MaxPositionEmbeddings = 512, RmsNormEps = 1e-5, RopeTheta = 10000, TieWordEmbeddings = true,
        BosTokenId = vocabulary.EndOfTextId, EosTokenIds = [vocabulary.ImEndId], PadTokenId = vocabulary.EndOfTextId,
    };

    // Next-token cross-entropy on the answers of both sequences of each pair (the good and the bad answer to the same
    // prompt in one batch; prompt and padding masked), batches of pairs in a seeded order.
    private static List<double> Train(CausalLm model, TokenizedData data, WarmUpOptions options, CancellationToken ct)
    {
        model.train();
        using var optimizer = new AdamW([new AdamWGroup([.. model.parameters()], 0.0)], new AdamWOptions(options.LearningRate));
        var order = new Random(options.Seed);
        var indices = Enumerable.Range(0, data.Pairs.Count).ToArray();
        var losses = new List<double>(options.Steps);
        var next = indices.Length;
        for (var step = 0; step < options.Steps; step++)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            if (next + options.BatchSize > indices.Length)
            {
                order.Shuffle(indices);
                next = 0;
            }
            var batch = PairCollator.Collate([.. indices.AsSpan(next, options.BatchSize).ToArray().Select(i => data.Pairs[i])], data.PadTokenId);
            next += options.BatchSize;
            // Linear decay to a tenth of the peak: the last steps settle instead of jumping.
            optimizer.LearningRate = options.LearningRate * (1 - 0.9 * step / options.Steps);
            var logits = model.forward(batch.InputIds, batch.AttentionMask);                    // (2B, T, V)
            var (t, v) = (logits.shape[1], logits.shape[2]);
            var loss = nn.functional.cross_entropy(
                logits.narrow(1, 0, t - 1).reshape(-1, v),                                       // (2B (T-1), V)
                batch.Labels.narrow(1, 1, t - 1).reshape(-1), ignore_index: OrpoLoss.IgnoreIndex); // (2B (T-1))
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
            losses.Add(loss.item<float>()); // sync point: the loss is reported
        }
        model.eval();
        return losses;
    }
}
