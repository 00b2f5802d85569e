// `pipeline generate --model DIR --prompt TEXT`: greedy or sampled continuation of a prompt with the KV cache.
using System.CommandLine;
using System.Diagnostics;
using Pipeline.Shared.Tokenization;
using Pipeline.Training;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Generation;

namespace Pipeline.Cli.Commands;

public sealed record GenerateCommandOptions(string ModelDir, string Prompt, GenerationOptions Generation, string? Device);

/// <summary>The continuation text, its token count, why it stopped, and the decoding speed.</summary>
public sealed record GenerateCommandResult(string Text, int NewTokens, StopReason StopReason, double TokensPerSecond);

public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder (config, safetensors, tokenizer)", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue", Required = true };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens to generate", DefaultValueFactory = _ => 64 };
        var temperature = new Option<double>("--temperature") { Description = "0 = greedy; otherwise sampling temperature", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling mass in (0, 1]", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0 };
        var device = new Option<string?>("--device") { Description = "auto (default), cpu or cuda" };
        var command = new Command("generate", "Continue a prompt with a model folder (greedy or sampled, KV-cached).")
        {
            model, prompt, maxNew, temperature, topP, seed, device,
        };
        command.SetAction((ParseResult r) =>
        {
            var generation = new GenerationOptions
            {
                MaxNewTokens = r.GetValue(maxNew), Temperature = r.GetValue(temperature), TopP = r.GetValue(topP), Seed = r.GetValue(seed),
            };
            var result = Run(new GenerateCommandOptions(r.GetValue(model)!, r.GetValue(prompt)!, generation, r.GetValue(device)));
            Console.WriteLine(result.Text);
            Console.Error.WriteLine($"{result.NewTokens} tokens, stopped by {result.StopReason}, {result.TokensPerSecond:F1} tokens/s");
            return 0;
        });
        return command;
    }

    public static GenerateCommandResult Run(GenerateCommandOptions options)
    {
        options.Generation.Validate();
        TorchRuntime.Configure();
        using var model = TrainedModel.Load(options.ModelDir, TorchRuntime.ChooseDevice(options.Device)); // first: an old checkpoint's clear error
        var tokenizer = HfTokenizer.Load(options.ModelDir);

        var promptIds = new List<long>();
        if (tokenizer.AddBosToken && tokenizer.BosTokenId is { } bos)
            promptIds.Add(bos);
        promptIds.AddRange(tokenizer.Encode(options.Prompt).Select(id => (long)id));
        // Stop on every end-of-sequence id the folder names: generation_config, config and tokenizer.
        var stops = (GenerationConfig.TryLoad(options.ModelDir)?.EosTokenIds ?? [])
            .Concat(model.Config.EosTokenIds ?? [])
            .Concat(tokenizer.EosTokenId is { } eos ? [eos] : [])
            .Select(id => (long)id).Distinct().ToList();

        var clock = Stopwatch.StartNew();
        var result = TokenGenerator.Generate(model, promptIds, options.Generation with { StopTokenIds = stops, VocabularyLimit = tokenizer.VocabularySize });
        var seconds = clock.Elapsed.TotalSeconds;
        var text = tokenizer.Decode(result.TokenIds.Where(id => !stops.Contains(id)).Select(id => (int)id));
        return new GenerateCommandResult(text, result.TokenIds.Count, result.StopReason, result.TokenIds.Count / Math.Max(seconds, 1e-9));
    }
}
