// What the demo creates before data lands: the base model (a seeded causal-LM warm-up on support text, uploaded to
// base-models/), the support-agent target profile (config/targets/{target}.json) and the three generated data files.
using Azure.Storage.Blobs;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;

namespace Pipeline.Cli.Demo;

/// <summary>A generated data file: its name in incoming/{target}/, its local copy, and what is in it.</summary>
public sealed record DemoDataFile(string Name, string LocalPath, int Pairs, int Swapped);

public sealed class DemoSetup(DemoOptions options, DemoState state, BlobServiceClient blobs)
{
    public const string BaseModelName = "support-agent-tiny";

    /// <summary>"base-models/support-agent-tiny": how the profile names the base model.</summary>
    public static string BaseModelSpec => $"{StorageLayout.BaseModels}/{BaseModelName}";

    /// <summary>Warms the base model up under .demo/base-model unless a finished one is there, and uploads it (the same
    /// bytes, so a repeat is harmless).</summary>
    public async Task<string> EnsureBaseModelAsync(CancellationToken ct)
    {
        string made;
        if (!File.Exists(Path.Combine(state.BaseModel, "config.json")))
        {
            // Written aside and moved into place: a warm-up stopped midway leaves no half model to reuse.
            var partial = state.BaseModel + ".partial";
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            if (Directory.Exists(state.BaseModel)) Directory.Delete(state.BaseModel, recursive: true);
            var w = await Task.Run(() => DemoBaseModel.Write(partial, options.WarmUp, ct), ct).ConfigureAwait(false);
            Directory.Move(partial, state.BaseModel);
            made = $"warmed up in {w.Elapsed.TotalSeconds:0} s ({options.WarmUp.Steps} steps, loss {w.FirstLoss:0.00} -> {w.LastLoss:0.00}): " +
                   $"{w.Config.NumHiddenLayers} layers, hidden {w.Config.HiddenSize}, a {w.TokenizerSize}-token tokenizer of the domain";
        }
        else
        {
            made = "reused";
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
        return $"base model {made}; uploaded to {BaseModelSpec}/ ({bytes / 1e6:0.0} MB)";
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
            SamplePrompts = 3,
            SampleMaxNewTokens = 96,
            Orpo = new OrpoConfig
            {
                Beta = options.Size.Beta,
                LearningRate = options.Size.LearningRate,
                PerDeviceTrainBatchSize = options.Size.BatchSize,
                PerDeviceEvalBatchSize = 16,
                MaxSteps = options.Size.MaxSteps,
                MaxLength = options.Size.MaxLength,
                WarmupRatio = 0.1,
                LrSchedulerType = "linear",
                LoggingSteps = Math.Max(1, options.Size.MaxSteps / 20),
                EvalSteps = Math.Max(1, options.Size.MaxSteps / 4),
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

    /// <summary>Writes support-agent-1.jsonl to -3.jsonl (disjoint pairs; most of file 3's labels swapped) under .demo/data/.</summary>
    public IReadOnlyList<DemoDataFile> WriteDataFiles()
    {
        var files = new List<DemoDataFile>();
        for (var batch = 1; batch <= SupportAgentData.Batches; batch++)
        {
            var name = $"{options.Target}-{batch}.jsonl";
            var path = Path.Combine(state.Data, name);
            var pairs = SupportAgentData.Generate(batch, options.PairsPerFile);
            using (var stream = File.Create(path)) SupportAgentData.WriteJsonl(pairs, stream);
            files.Add(new DemoDataFile(name, path, pairs.Count, pairs.Count(p => p.Swapped)));
        }
        return files;
    }
}
