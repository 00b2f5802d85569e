// What a run asks of the ORPO engine, in one place: train (OrpoTrainer), evaluate a model on the held-out split
// (OrpoEvaluator), and greedy sample completions for the report (TokenGenerator). Heavy work runs off the caller's thread.
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Tokenization;
using Pipeline.Training;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Evaluation;
using Pipeline.Training.Generation;
using Pipeline.Training.Trainer;

namespace Pipeline.Worker;

/// <param name="onStep">Also sees every progress report, synchronously on the training thread (telemetry, fault tests).</param>
public sealed class OrpoRunEngine(string device, Action<TrainProgress>? onStep = null)
{
    public string Device { get; } = TorchRuntime.ChooseDevice(device).ToString();

    /// <param name="ct">Stops training without a checkpoint (the run lost its lease or message).</param>
    /// <param name="checkpointAndStop">Stops training after checkpointing the steps done so far (SIGTERM).</param>
    public Task<TrainResult> TrainAsync(TrainJob job, IProgress<TrainProgress> progress, CancellationToken ct,
        CancellationToken checkpointAndStop = default) =>
        OrpoTrainer.RunAsync(job with { Device = Device }, onStep is null ? progress : new Tee(progress, onStep), ct, checkpointAndStop);

    private sealed class Tee(IProgress<TrainProgress> first, Action<TrainProgress> second) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value)
        {
            first.Report(value);
            second(value);
        }
    }

    /// <summary>eval_* metrics of the model in <paramref name="modelDir"/> over the whole held-out file.</summary>
    public Task<EvalMetrics> EvaluateAsync(string modelDir, string evalFile, OrpoConfig config, CancellationToken ct) =>
        Task.Run(() => OrpoEvaluator.EvaluateFile(
            modelDir, evalFile, config.Beta, config.MaxLength, config.PerDeviceEvalBatchSize, config.Overlong, Device), ct);

    /// <summary>
    /// Prompts of the first <paramref name="count"/> held-out pairs that training keeps, as the model sees them: rendered
    /// by the tokenizer's chat template and tokenized by the same pair tokenisation as training (TRL's prompt_input_ids).
    /// </summary>
    public static IReadOnlyList<SamplePrompt> SamplePrompts(string modelDir, string evalFile, OrpoConfig config, int count)
    {
        if (count == 0) return [];
        var tokenizer = HfTokenizer.Load(modelDir);
        var rows = PreferenceData.Load(evalFile, PreferenceData.ChatFor(tokenizer));
        var data = TokenizedData.From(rows, tokenizer, config.MaxLength, config.Overlong);
        var prompts = rows.ToDictionary(r => r.Line, r => r.Prompt);
        return [.. data.Pairs.Zip(data.Lines).Take(count)
            .Select(p => new SamplePrompt(p.Second, prompts[p.Second], p.First.ChosenIds[..p.First.ChosenPromptLength]))];
    }

    /// <summary><paramref name="perPrompt"/> answers sampled to each prompt by one model, as one batch per prompt; prompt
    /// i draws with seed <c>options.Seed + i</c>, so the same model and prompts give the same answers.</summary>
    public Task<IReadOnlyList<IReadOnlyList<string>>> SampleAsync(
        string modelDir, IReadOnlyList<SamplePrompt> prompts, int perPrompt, GenerationOptions options, CancellationToken ct) =>
        Task.Run<IReadOnlyList<IReadOnlyList<string>>>(() =>
        {
            var (tokenizer, model, stop) = Open(modelDir);
            using (model)
                return [.. prompts.Select((prompt, i) =>
                {
                    ct.ThrowIfCancellationRequested();
                    var answers = AnswerSampler.Sample(model, [.. prompt.Ids.Select(id => (long)id)], perPrompt,
                        options with { Seed = options.Seed + i, StopTokenIds = stop, VocabularyLimit = tokenizer.VocabularySize });
                    return (IReadOnlyList<string>)[.. answers.Select(a => Decode(tokenizer, a))];
                })];
        }, ct);

    /// <summary>Greedy completions (up to EOS or <paramref name="maxNewTokens"/>) of each prompt by one model.</summary>
    public Task<IReadOnlyList<string>> CompleteAsync(string modelDir, IReadOnlyList<SamplePrompt> prompts, int maxNewTokens, CancellationToken ct) =>
        Task.Run<IReadOnlyList<string>>(() =>
        {
            if (prompts.Count == 0) return [];
            var (tokenizer, model, stop) = Open(modelDir);
            using (model)
                return [.. prompts.Select(prompt =>
                {
                    ct.ThrowIfCancellationRequested();
                    var ids = prompt.Ids.Select(i => (long)i).ToList(); // (T,) BOS and chat-template special tokens included
                    return Decode(tokenizer, TokenGenerator.Generate(model, ids, new GenerationOptions { MaxNewTokens = maxNewTokens, StopTokenIds = stop, VocabularyLimit = tokenizer.VocabularySize }).TokenIds);
                })];
        }, ct);

    private (HfTokenizer Tokenizer, Pipeline.Training.Model.CausalLm Model, IReadOnlyList<long> Stop) Open(string modelDir)
    {
        var tokenizer = HfTokenizer.Load(modelDir);
        var model = HfModelFolder.Load(modelDir, TorchSharp.torch.device(Device));
        model.eval();
        return (tokenizer, model, tokenizer.EosTokenId is int eos ? [eos] : []);
    }

    // The answer's text: special tokens (EOS) left out.
    private static string Decode(HfTokenizer tokenizer, IEnumerable<long> ids) =>
        tokenizer.Decode(ids.Where(t => t != tokenizer.EosTokenId).Select(t => (int)t));
}

/// <summary>A held-out prompt for the report's samples: its eval.jsonl line, rendered text and token ids as training sees them.</summary>
public sealed record SamplePrompt(int Line, string Text, IReadOnlyList<int> Ids);
