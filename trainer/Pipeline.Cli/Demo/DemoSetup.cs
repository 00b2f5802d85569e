// What the demo creates before data lands: the tiny base model (init-model's code, uploaded to base-models/), the
// support-agent target profile (config/targets/{target}.json) and the two generated data files.
using Azure.Storage.Blobs;
using Pipeline.Cli.Commands;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Training.Checkpoints;
using Pipeline.Worker;

namespace Pipeline.Cli.Demo;

/// <summary>A generated data file: its name in incoming/{target}/ and its local copy.</summary>
public sealed record DemoDataFile(string Name, string LocalPath, int Pairs);

public sealed class DemoSetup(DemoOptions options, DemoState state, BlobServiceClient blobs)
{
    public const string BaseModelName = "support-agent-tiny";
    public const int BaseModelSeed = 0;

    /// <summary>"base-models/support-agent-tiny": how the profile names the base model.</summary>
    public static string BaseModelSpec => $"{StorageLayout.BaseModels}/{BaseModelName}";

    /// <summary>Writes the tiny preset (seed 0) under .demo/base-model unless it is there, and uploads it (same bytes, so a repeat is harmless).</summary>
    public async Task<string> EnsureBaseModelAsync(CancellationToken ct)
    {
        var made = false;
        if (!File.Exists(Path.Combine(state.BaseModel, "config.json")))
        {
            if (Directory.Exists(state.BaseModel)) Directory.Delete(state.BaseModel, recursive: true);
            ModelInit.Write(new InitModelOptions("tiny", state.BaseModel, BaseModelSeed));
            made = true;
        }
        var container = blobs.GetBlobContainerClient(StorageLayout.BaseModels);
        await container.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        long bytes = 0;
        foreach (var path in Directory.EnumerateFiles(state.BaseModel))
        {
            var blob = container.GetBlobClient(StorageLayout.BaseModelFileBlob(BaseModelName, Path.GetFileName(path)));
            if (!await blob.ExistsAsync(ct).ConfigureAwait(false))
                await blob.UploadAsync(path, ct).ConfigureAwait(false);
            bytes += new FileInfo(path).Length;
        }
        return $"base model: tiny preset (seed {BaseModelSeed}) {(made ? "created" : "reused")} in {state.BaseModel}, " +
               $"uploaded to {BaseModelSpec}/ ({bytes / 1e6:0.0} MB)";
    }

    /// <summary>The target profile: validation limits, the base model, ORPO hyper-parameters (TRL names), strategy, gate.</summary>
    public TargetProfile Profile() => new()
    {
        MaxChars = 2_000,
        EvalShare = 0.1,
        Training = new TrainingProfile
        {
            BaseModel = BaseModelSpec,
            Strategy = TrainingStrategies.FromLatest,
            DebounceSeconds = 2,
            SamplePrompts = 2,
            SampleMaxNewTokens = 24,
            Orpo = new OrpoConfig
            {
                Beta = 0.1,
                LearningRate = options.Size.LearningRate,
                PerDeviceTrainBatchSize = options.Size.BatchSize,
                PerDeviceEvalBatchSize = 16,
                MaxSteps = options.Size.MaxSteps,
                MaxLength = options.Size.MaxLength,
                WarmupRatio = 0.1,
                LrSchedulerType = "linear",
                LoggingSteps = Math.Max(1, options.Size.MaxSteps / 20),
                EvalSteps = 0,
                SaveSteps = Math.Max(1, options.Size.MaxSteps / 2),
                Seed = 42,
            },
        },
    };

    /// <summary>Writes config/targets/{target}.json (replacing an earlier demo's profile of the same target).</summary>
    public async Task<string> WriteProfileAsync(CancellationToken ct)
    {
        var profile = Profile();
        await new TargetProfileStore(blobs).WriteAsync(options.Target, profile, ct).ConfigureAwait(false);
        var t = profile.Training;
        return $"profile {TargetProfileStore.SourceName(options.Target)}: base_model {t.BaseModel}, strategy {t.Strategy}, debounce {t.DebounceSeconds} s, " +
               $"max_steps {options.Size.MaxSteps}, batch {options.Size.BatchSize}, max_length {options.Size.MaxLength}, learning_rate {options.Size.LearningRate}";
    }

    /// <summary>Writes support-agent-1.jsonl and support-agent-2.jsonl (disjoint pairs) under .demo/data/.</summary>
    public IReadOnlyList<DemoDataFile> WriteDataFiles()
    {
        var files = new List<DemoDataFile>();
        for (var batch = 1; batch <= 2; batch++)
        {
            var name = $"{options.Target}-{batch}.jsonl";
            var path = Path.Combine(state.Data, name);
            var pairs = SupportAgentData.Generate(batch, options.PairsPerFile);
            using (var stream = File.Create(path)) SupportAgentData.WriteJsonl(pairs, stream);
            files.Add(new DemoDataFile(name, path, pairs.Count));
        }
        return files;
    }
}
