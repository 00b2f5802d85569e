// The ORPO training recipe (TRL ORPOTrainer semantics) in one loop: LR schedule, accumulation micro-steps, clipping,
// AdamW step, then log / evaluate / checkpoint every N steps. Callable in-process (queue worker) and from `train`.
using System.Diagnostics;
using System.Text.Json;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Tokenization;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Evaluation;
using Pipeline.Training.Model;
using Pipeline.Training.Orpo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Trainer;

public static class OrpoTrainer
{
    /// <summary>Loads the base model and data of <paramref name="job"/>, trains, writes the model folder and reports.</summary>
    /// <param name="checkpointAndStop">Cancelled to stop with a checkpoint of the steps done so far (the worker on
    /// SIGTERM); <paramref name="ct"/> stops without one.</param>
    public static Task<TrainResult> RunAsync(TrainJob job, IProgress<TrainProgress>? progress, CancellationToken ct,
        CancellationToken checkpointAndStop = default) =>
        Task.Run(() => Run(job, progress, ct, checkpointAndStop), ct);

    public static TrainResult Run(TrainJob job, IProgress<TrainProgress>? progress, CancellationToken ct,
        CancellationToken checkpointAndStop = default)
    {
        var device = torch.device(job.Device);
        var c = Resolve(job.Config, job.Device);
        job = job with { Config = c };
        c.Validate();
        if (job.Resume && CompletedRun.TryRead(job, Checkpoint.TokenizerFiles) is { } finished)
        {
            progress?.Report(new TrainProgress(finished.GlobalStep, finished.TotalSteps, 0, finished.TrainLoss, 0, 0, 0, TimeSpan.Zero,
                new Dictionary<string, double>()) { Note = $"already complete: {job.OutputDir} holds the finished run; nothing changed" });
            return finished;
        }
        var memory = MemoryMeter.Start(device); // before loading: the run's peak includes the model
        random.manual_seed(c.Seed);

        var tokenizer = HfTokenizer.Load(job.ModelDir);
        var train = TokenizedData.From(PreferenceData.Load(PreferenceData.Resolve(job.DataPath, "train"), PreferenceData.ChatFor(tokenizer)), tokenizer, c.MaxLength, c.Overlong);
        var evalPath = job.EvalDataPath ?? (Directory.Exists(job.DataPath) && File.Exists(Path.Combine(job.DataPath, "eval.jsonl"))
            ? Path.Combine(job.DataPath, "eval.jsonl") : null);
        var eval = evalPath is null ? null : TokenizedData.From(PreferenceData.Load(evalPath, PreferenceData.ChatFor(tokenizer)), tokenizer, c.MaxLength, c.Overlong);
        if (train.Pairs.Count == 0)
            throw new InvalidDataException($"{job.DataPath}: every pair was dropped ({train.Dropped.Count}; first: line {train.Dropped[0].Line}, {train.Dropped[0].Reason}).");

        TrainResult result;
        using var adapter = TrainAndSave(job, train, eval, progress, ct, checkpointAndStop, device, memory, out result);
        if (adapter is not null && c.MergeAdapter)
        {
            // Merged from the base loaded again in its stored dtype (the training model is gone by now): W0 + s B A in
            // float32, rounded once into the base's dtype.
            using var merged = HfModelFolder.Load(job.ModelDir, device);
            adapter.MergeInto(merged);
            HfModelFolder.Save(merged, Path.Combine(job.OutputDir, TrainOutput.MergedFolder));
            Checkpoint.CopyTokenizer(job.ModelDir, Path.Combine(job.OutputDir, TrainOutput.MergedFolder));
        }
        Checkpoint.CopyTokenizer(job.ModelDir, job.OutputDir);
        return result;
    }

    /// <summary>
    /// The dtype to load the base in. Frozen under LoRA: as stored (bf16 with bf16: true). Fully trained: float32, or as
    /// stored under bf16, where the float32 master weights are taken from the stored values. Null: as stored.
    /// </summary>
    internal static ScalarType? LoadDtype(OrpoConfig c) =>
        c.UsePeft ? (c.Bf16 == true ? ScalarType.BFloat16 : null) : (c.Bf16 == true ? null : ScalarType.Float32);

    /// <summary>
    /// Loads the base in the dtype the run computes in, trains and writes the model (full fine-tuning) or the PEFT
    /// adapter, and frees the model; returns the adapter, whose weights outlive the model for merging.
    /// </summary>
    private static LoraAdapter? TrainAndSave(TrainJob job, TokenizedData train, TokenizedData? eval, IProgress<TrainProgress>? progress,
        CancellationToken ct, CancellationToken checkpointAndStop, Device device, MemoryMeter memory, out TrainResult result)
    {
        var c = job.Config;
        using var model = HfModelFolder.Load(job.ModelDir, device, LoadDtype(c));
        var adapter = c.Lora is { } lora ? LoraAdapter.Attach(model, lora) : null;
        try
        {
            if (c.DisableDropout) adapter?.DisableDropout(); // TRL disables every dropout of the PEFT model, lora_dropout included
            result = Train(model, train, eval, c, job.OutputDir, job.Resume, progress, ct, device, adapter, checkpointAndStop, memory, job.ModelDir);
            // Full fine-tuning writes the model; LoRA writes the PEFT adapter, and the merged model in merged/ on request.
            if (adapter is null) HfModelFolder.Save(model, job.OutputDir);
            else adapter.SavePeft(job.OutputDir, Path.GetFullPath(job.ModelDir));
            return adapter;
        }
        catch
        {
            adapter?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The loop. <paramref name="trainable"/> (default: the model; a LoRA adapter) owns the parameters that are optimized
    /// and checkpointed. <paramref name="memory"/> (default: started here) measures the run's memory for the summary.
    /// <paramref name="modelDir"/> (the base model folder) gives checkpoints their tokenizer files and the adapter its base.
    /// </summary>
    public static TrainResult Train(
        CausalLm model, TokenizedData train, TokenizedData? eval, OrpoConfig c, string outputDir,
        bool resume, IProgress<TrainProgress>? progress, CancellationToken ct, Device? device = null, nn.Module? trainable = null,
        CancellationToken checkpointAndStop = default, MemoryMeter? memory = null, string? modelDir = null)
    {
        memory ??= MemoryMeter.Start(device ?? CPU);
        CheckDropoutReplay(c, device, trainable);
        // bf16: forward and backward in bfloat16. Full fine-tuning updates float32 master copies (Bf16MasterWeights);
        // LoRA's adapters are float32 already (PEFT's autocast_adapter_dtype), so only the frozen base turns bf16.
        var bf16 = c.Bf16 == true;
        using var mixed = bf16 && trainable is null ? Bf16MasterWeights.Attach(model) : null;
        if (bf16 && trainable is not null && model.Dtype != ScalarType.BFloat16)
            model.to(ScalarType.BFloat16);
        var owner = mixed ?? trainable ?? model;
        Directory.CreateDirectory(outputDir);
        int accum = c.GradientAccumulationSteps, batchSize = c.PerDeviceTrainBatchSize;
        var lengths = train.Pairs.Select(p => p.Length).ToArray();
        // As current transformers: ceil(batches / accumulation) updates an epoch, the last one taking the remainder of
        // the epoch's batches; an update never spans two epochs.
        var batchesPerEpoch = (lengths.Length + batchSize - 1) / batchSize;
        var stepsPerEpoch = Math.Max(1, (batchesPerEpoch + accum - 1) / accum);
        var totalSteps = c.MaxSteps > 0 ? c.MaxSteps : (int)Math.Ceiling(c.NumTrainEpochs * stepsPerEpoch);
        var schedule = LrSchedule.From(c, totalSteps);
        int logEvery = c.EffectiveLoggingSteps(totalSteps), evalEvery = eval is null ? 0 : c.EffectiveEvalSteps(totalSteps),
            saveEvery = c.EffectiveSaveSteps(totalSteps);

        // AdamW as adamw_torch, with transformers' grouping: no weight decay on biases and norm weights.
        var named = owner.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        var parameters = named.Select(p => p.parameter).ToList();
        static bool NoDecay(string name) => name.Contains("bias", StringComparison.Ordinal) || name.Contains("norm", StringComparison.Ordinal);
        using var optimizer = new AdamW(
            [
                new AdamWGroup([.. named.Where(p => !NoDecay(p.name)).Select(p => p.parameter)], c.WeightDecay),
                new AdamWGroup([.. named.Where(p => NoDecay(p.name)).Select(p => p.parameter)], 0.0),
            ],
            new AdamWOptions(c.LearningRate, c.AdamBeta1, c.AdamBeta2, c.AdamEpsilon));

        var state = new TrainerState(0, 0, 0, 0, 0, 0, 0, 0);
        int? resumedFrom = null;
        var existing = Checkpoint.List(outputDir);
        if (resume && existing.Count > 0)
        {
            state = Checkpoint.Load(existing[^1], owner, optimizer);
            mixed?.PushWeights();
            resumedFrom = state.GlobalStep;
        }
        else if (!resume && existing.Count > 0)
            throw new IOException($"{outputDir}: holds checkpoints of an earlier run; pass --resume to continue it or choose an empty folder.");
        File.WriteAllText(Path.Combine(outputDir, TrainOutput.ConfigFile), c.ToJson());

        using var metricsLog = new MetricsLog(Path.Combine(outputDir, TrainOutput.MetricsFile), resumedFrom);
        // transformers' TrainerState fields of every checkpoint (trainer_state.json), the step's own added when saving.
        CheckpointContent Content(long microBatches) => new(model, trainable as LoraAdapter, modelDir, Path.Combine(outputDir, TrainOutput.MetricsFile),
            new System.Text.Json.Nodes.JsonObject
            {
                ["epoch"] = (double)microBatches / batchesPerEpoch, ["max_steps"] = totalSteps,
                ["num_train_epochs"] = (int)Math.Ceiling((double)totalSteps / stepsPerEpoch), ["logging_steps"] = logEvery,
                ["eval_steps"] = evalEvery, ["save_steps"] = saveEvery, ["train_batch_size"] = batchSize,
            });
        using var tensorBoard = new TensorBoardWriter(Path.Combine(outputDir, TrainOutput.TensorBoardFolder));
        var epochs = new Dictionary<int, List<int[]>>();
        // The micro-batches of 0-based update `step` and the epoch position after it (transformers' logged epoch).
        (List<int[]> Micro, double Epoch) Update(int step)
        {
            var epoch = step / stepsPerEpoch;
            if (!epochs.TryGetValue(epoch, out var batches))
                epochs[epoch] = batches = LengthGroupedBatches.ForEpoch(lengths, batchSize, c.DataSeed ?? c.Seed, epoch, c.GroupByLength);
            int first = step % stepsPerEpoch * accum, end = Math.Min(first + accum, batchesPerEpoch);
            return (batches[first..end], epoch + (double)end / batchesPerEpoch);
        }

        var clock = Stopwatch.StartNew();
        using var window = new OrpoMetrics(c.Beta);
        double windowLoss = 0;
        int windowSteps = 0, firstStep = state.GlobalStep;
        long windowTokens = 0;
        var windowClock = Stopwatch.StartNew();
        model.train();
        memory.SetupDone();

        for (var step = state.GlobalStep; step < totalSteps; step++)
        {
            if (checkpointAndStop.IsCancellationRequested)
            {
                // Stopped from outside (the worker on SIGTERM): keep the steps done so far as a checkpoint to resume from.
                if (step > 0 && (existing.Count == 0 || Checkpoint.StepOf(existing[^1]) != step))
                    Checkpoint.Save(outputDir, step, owner, optimizer, state with { ElapsedSeconds = state.ElapsedSeconds + clock.Elapsed.TotalSeconds },
                        c.SaveTotalLimit, Content(state.MicroBatchesConsumed), schedule);
                checkpointAndStop.ThrowIfCancellationRequested();
            }
            ct.ThrowIfCancellationRequested();
            var lr = c.LearningRate * schedule.Factor(step);
            optimizer.LearningRate = lr;

            var (micro, epoch) = Update(step);
            var outcome = TrainStep(model, train, micro, c, device, mixed, parameters, optimizer, window);
            TorchRuntime.TrimHeap(); // the step's freed heap back to the OS: no memory carried into the next step
            memory.StepDone();
            if (!outcome.Updated)
            {
                var reason = $"step {step + 1}: loss {outcome.Loss}, grad_norm {outcome.GradNorm} is not finite";
                if (!c.SkipNonfiniteSteps)
                    throw new NonFiniteLossException($"{reason}; stopped before the update (last checkpoint: {existing.LastOrDefault() ?? "none"}, set skip_nonfinite_steps to skip such steps).");
                state = state with { GlobalStep = step + 1, MicroBatchesConsumed = state.MicroBatchesConsumed + micro.Count, SkippedSteps = state.SkippedSteps + 1 };
                continue;
            }

            state = state with
            {
                GlobalStep = step + 1,
                MicroBatchesConsumed = state.MicroBatchesConsumed + micro.Count,
                TrainLossSum = state.TrainLossSum + outcome.Loss,
                TokensSeen = state.TokensSeen + outcome.Tokens,
                PaddedPositions = state.PaddedPositions + outcome.Positions - outcome.Tokens,
                RealPositions = state.RealPositions + outcome.Tokens,
            };
            windowLoss += outcome.Loss;
            windowSteps++;
            windowTokens += outcome.Tokens;

            var done = step + 1;
            if (done % logEvery == 0 || done == totalSteps)
            {
                var tokensPerSecond = windowTokens / Math.Max(1e-9, windowClock.Elapsed.TotalSeconds);
                var values = new Dictionary<string, double>(HostSync.LoggedMetrics(window))
                {
                    ["loss"] = windowLoss / windowSteps,
                    ["learning_rate"] = lr,
                    ["grad_norm"] = outcome.GradNorm, // the step's own norm, as transformers logs it (not a window mean)
                    ["tokens_per_second"] = tokensPerSecond,
                    ["peak_memory_bytes"] = memory.PeakBytes,
                };
                metricsLog.Write(done, epoch, values);
                tensorBoard.Scalars(done, values.Select(v => new KeyValuePair<string, double>("train/" + v.Key, v.Value)));
                var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / (done - firstStep) * (totalSteps - done));
                progress?.Report(new TrainProgress(done, totalSteps, epoch, values["loss"], lr, values["grad_norm"], tokensPerSecond, eta, values));
                window.Clear();
                (windowLoss, windowSteps, windowTokens) = (0, 0, 0);
                windowClock.Restart();
            }
            if (evalEvery > 0 && done % evalEvery == 0 && eval!.Pairs.Count > 0)
            {
                var e = OrpoEvaluator.Evaluate(model, eval.Pairs, c.Beta, c.PerDeviceEvalBatchSize, eval.PadTokenId, device, eval.Lines, eval.Dropped.Count);
                metricsLog.Write(done, epoch, e.Metrics);
                tensorBoard.Scalars(done, e.Metrics.Select(v => new KeyValuePair<string, double>("eval/" + v.Key["eval_".Length..], v.Value)));
                progress?.Report(new TrainProgress(done, totalSteps, epoch, e.Metrics["eval_loss"], lr, 0, 0, TimeSpan.Zero, e.Metrics, IsEval: true));
            }
            if (saveEvery > 0 && done % saveEvery == 0)
            {
                state = state with { ElapsedSeconds = state.ElapsedSeconds + clock.Elapsed.TotalSeconds };
                clock.Restart();
                firstStep = done;
                Checkpoint.Save(outputDir, done, owner, optimizer, state, c.SaveTotalLimit, Content(state.MicroBatchesConsumed), schedule);
                existing = Checkpoint.List(outputDir);
            }
        }

        mixed?.Restore();
        var runtime = state.ElapsedSeconds + clock.Elapsed.TotalSeconds;
        var updates = Math.Max(1, state.GlobalStep - state.SkippedSteps);
        var result = new TrainResult(
            state.GlobalStep, totalSteps, state.TrainLossSum / updates, runtime,
            (double)updates * batchSize * accum / runtime, state.TokensSeen / runtime,
            memory.PeakBytes, train.Pairs.Count, train.Dropped.Count, state.SkippedSteps,
            state.PaddedPositions / (double)Math.Max(1, state.PaddedPositions + state.RealPositions), resumedFrom, outputDir)
        {
            PeakMemoryKind = memory.Kind, MemoryAfterSetupBytes = memory.AfterSetupBytes, MemoryBetweenStepsBytes = memory.BetweenStepsBytes,
            PairsTruncated = train.TruncatedPairs, TokensTruncated = train.TruncatedTokens,
        };
        WriteSummary(result, Precision(c));
        return result;
    }

    /// <summary>What one optimizer step did: whether it updated (loss and gradient norm finite), its loss and norm, its tokens.</summary>
    private sealed record StepOutcome(bool Updated, double Loss, double GradNorm, long Tokens, long Positions);

    /// <summary>
    /// One optimizer step: forward and backward of every micro-batch, clipping, the non-finite guard, the AdamW update.
    /// It reads the device once (HostSync.StepGuard); the ORPO statistics stay there, added to <paramref name="window"/>
    /// when the step updates.
    /// </summary>
    private static StepOutcome TrainStep(CausalLm model, TokenizedData train, IReadOnlyList<int[]> micro, OrpoConfig c, Device? device,
        Bf16MasterWeights? mixed, IReadOnlyList<Parameter> parameters, AdamW optimizer, OrpoMetrics window)
    {
        // Normalise by the whole optimizer step (all micro-batches), not per micro-batch as TRL does, so the NLL is a
        // token mean over the step and batch 8 x accumulation 1 == batch 1 x accumulation 8 even for unequal lengths.
        // With accumulation 1 this is exactly TRL's loss.
        var normalizer = new OrpoNormalizer(
            micro.Sum(b => b.Sum(i => (double)train.Pairs[i].ChosenIds.Length - 1)), micro.Sum(b => b.Length));
        using var scope = NewDisposeScope();
        using var stepMetrics = new OrpoMetrics(c.Beta);
        var loss = zeros(Array.Empty<long>(), ScalarType.Float64, device);     // () summed over micro-batches
        long tokens = 0, positions = 0;
        foreach (var indices in micro)
        {
            using var microScope = NewDisposeScope();
            var batch = PairCollator.Collate([.. indices.Select(i => train.Pairs[i])], train.PadTokenId, device);
            var output = OrpoPass.ForwardBackward(model, batch, c.Beta, normalizer, c.GradientCheckpointing);
            mixed?.PullGradients();
            loss.add_(output.Loss.to_type(ScalarType.Float64));
            stepMetrics.Add(output.Stats);
            tokens += indices.Sum(i => (long)train.Pairs[i].Tokens);
            positions += batch.InputIds.numel();
        }
        var gradNorm = GradientClipping.ClipGradNorm(parameters, c.MaxGradNorm);
        var (lossValue, normValue) = HostSync.StepGuard(loss, gradNorm); // sync point: the guard needs them before the update
        if (!double.IsFinite(lossValue) || !double.IsFinite(normValue))
        {
            optimizer.ZeroGrad();
            return new StepOutcome(false, lossValue, normValue, tokens, positions);
        }
        optimizer.Step();
        optimizer.ZeroGrad();
        mixed?.PushWeights();
        window.Add(stepMetrics);
        return new StepOutcome(true, lossValue, normValue, tokens, positions);
    }

    /// <summary>
    /// Gradient checkpointing replays dropout from the torch CPU RNG state; TorchSharp 0.107 exposes no CUDA RNG state,
    /// so on CUDA an active adapter dropout would draw other masks in the recomputation and give wrong gradients.
    /// </summary>
    private static void CheckDropoutReplay(OrpoConfig c, Device? device, nn.Module? trainable)
    {
        if (c.GradientCheckpointing && device?.type == DeviceType.CUDA && trainable is LoraAdapter { ActiveDropout: > 0 })
            throw new InvalidDataException("gradient_checkpointing with an active lora_dropout is not supported on CUDA " +
                "(the recomputed layers could not replay the dropout masks): set disable_dropout true or lora_dropout 0.");
    }

    /// <summary>
    /// The config as it runs on <paramref name="device"/>: bf16 unset (TRL's default) resolves to bf16 where the hardware
    /// supports it, which here is CUDA; float32 on CPU.
    /// </summary>
    public static OrpoConfig Resolve(OrpoConfig c, string device) => c with { Bf16 = c.Bf16 ?? torch.device(device).type == DeviceType.CUDA };

    /// <summary>What ran, for the log and train_summary.json: float32 or bf16 (with float32 master weights or adapters).</summary>
    public static string Precision(OrpoConfig c) => c.Bf16 != true ? "float32"
        : c.UsePeft ? "bf16 (frozen base; float32 adapters and optimizer state)" : "bf16 (float32 master weights and optimizer state)";

    private static void WriteSummary(TrainResult r, string precision)
    {
        var summary = new Dictionary<string, object?>
        {
            ["precision"] = precision,
            ["global_step"] = r.GlobalStep,
            ["train_runtime"] = r.TrainRuntimeSeconds,
            ["train_samples_per_second"] = r.TrainSamplesPerSecond,
            ["train_tokens_per_second"] = r.TrainTokensPerSecond,
            ["train_loss"] = r.TrainLoss,
            ["peak_memory_bytes"] = r.PeakMemoryBytes,
            ["peak_memory_kind"] = r.PeakMemoryKind,
            ["memory_after_setup_bytes"] = r.MemoryAfterSetupBytes,
            ["memory_between_steps_bytes"] = r.MemoryBetweenStepsBytes,
            ["pairs_used"] = r.PairsUsed,
            ["pairs_dropped"] = r.PairsDropped,
            ["pairs_truncated"] = r.PairsTruncated,
            ["tokens_truncated"] = r.TokensTruncated,
            ["skipped_steps"] = r.SkippedSteps,
            ["padding_share"] = r.PaddingShare,
            ["resumed_from_step"] = r.ResumedFromStep,
        };
        File.WriteAllText(Path.Combine(r.OutputDir, CompletedRun.SummaryFileName), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    }
}
