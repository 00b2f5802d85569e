// Options of the demo (one record, validated at start): where its state lives, which storage, the data and run sizes.
using Pipeline.Shared.Targets;

namespace Pipeline.Cli.Demo;

public sealed record DemoOptions
{
    /// <summary>Local state: Azurite's data, the base model, generated files, copies of the reports (`.demo/`).</summary>
    public required string StateDir { get; init; }

    /// <summary>The repository root (node_modules/.bin/azurite lives there).</summary>
    public required string RepoRoot { get; init; }

    /// <summary>Storage to use instead of starting Azurite (e.g. one started with `npx azurite`); null starts one.</summary>
    public string? ConnectionString { get; init; }

    public string Target { get; init; } = "support-agent";

    /// <summary>Pairs in each of the three generated files.</summary>
    public int PairsPerFile { get; init; } = 240;

    /// <summary>The training plan of the demo's target profile (steps, max_length, learning rate) and of its checks.</summary>
    public DemoTrainingSize Size { get; init; } = DemoTrainingSize.Demo;

    /// <summary>The causal-LM warm-up that makes the base model.</summary>
    public WarmUpOptions WarmUp { get; init; } = WarmUpOptions.Default;

    /// <summary>"auto" (CUDA when present), "cpu" or "cuda".</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Longest wait for one stage (a file to be ingested, a version to appear).</summary>
    public TimeSpan StageTimeout { get; init; } = TimeSpan.FromMinutes(15);

    public DemoOptions Validated()
    {
        if (TargetName.Problem(Target) is { } problem) throw new ArgumentException($"demo target: {problem}");
        if (PairsPerFile < 20) throw new ArgumentException($"demo pairs per file must be at least 20 (got {PairsPerFile}) so the eval split is not empty");
        if (Device is not ("auto" or "cpu" or "cuda")) throw new ArgumentException($"demo device '{Device}' must be auto, cpu or cuda");
        if (StageTimeout <= TimeSpan.Zero) throw new ArgumentException("demo stage timeout must be positive");
        Size.Validate();
        WarmUp.Validate();
        return this;
    }
}

/// <param name="MaxSteps">Optimizer steps per run (TRL max_steps).</param>
/// <param name="BatchSize">per_device_train_batch_size.</param>
/// <param name="MaxLength">Tokens per sequence (TRL max_length).</param>
/// <param name="LearningRate">Peak learning rate.</param>
/// <param name="Beta">ORPO's beta (the weight of the odds-ratio term next to the NLL).</param>
/// <param name="PolicyPrompts">Held-out prompts whose sampled answers the policy rule marks, before and after.</param>
/// <param name="SamplesPerPrompt">Answers sampled per prompt and model.</param>
public sealed record DemoTrainingSize(int MaxSteps, int BatchSize, int MaxLength, double LearningRate, double Beta, int PolicyPrompts, int SamplesPerPrompt)
{
    /// <summary>What `./run demo` trains: three versions in under 5 minutes on 2 CPU cores. Measured on the warmed-up
    /// base (on-policy rate of sampled answers 56% at temperature 0.7): 40 steps of beta 0.1 only turn off-policy answers
    /// into garbled ones (56%); 80 steps at 3e-3 and beta 0.05 reach 79%; 120 steps at 2e-3 and beta 0.05 reach 88%.</summary>
    public static readonly DemoTrainingSize Demo = new(MaxSteps: 120, BatchSize: 8, MaxLength: 160, LearningRate: 2e-3, Beta: 0.05, PolicyPrompts: 48, SamplesPerPrompt: 2);

    /// <summary>What the end-to-end test trains: as the demo on fewer pairs and prompts, small enough for CI.</summary>
    public static readonly DemoTrainingSize Test = new(MaxSteps: 120, BatchSize: 8, MaxLength: 160, LearningRate: 2e-3, Beta: 0.05, PolicyPrompts: 24, SamplesPerPrompt: 2);

    public void Validate()
    {
        if (MaxSteps < 1 || BatchSize < 1 || MaxLength < 16 || !(LearningRate > 0) || !(Beta > 0) || PolicyPrompts < 1 || SamplesPerPrompt < 1)
            throw new ArgumentException($"demo training size {this} needs max_steps >= 1, batch >= 1, max_length >= 16, learning_rate > 0, beta > 0, " +
                                        "policy prompts and samples per prompt >= 1");
    }
}
