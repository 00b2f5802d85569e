// `pipeline init-model --preset tiny --output DIR [--seed N]`: a randomly initialised model folder with a real
// GPT-2/ChatML tokenizer, loadable by transformers and by `HfModelFolder.Load`.
using System.CommandLine;
using Pipeline.Shared.Tokenization;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Model;

namespace Pipeline.Cli.Commands;

public sealed record InitModelOptions(string Preset, string Output, long Seed)
{
    public void Validate()
    {
        if (!ModelPresets.Names.Contains(Preset))
            throw new ArgumentException($"--preset: unknown preset '{Preset}' (choose one of: {string.Join(", ", ModelPresets.Names)}).");
        if (string.IsNullOrWhiteSpace(Output))
            throw new ArgumentException("--output: a folder is required.");
    }
}

public static class InitModelCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model shape: {string.Join(", ", ModelPresets.Names)}", DefaultValueFactory = _ => "tiny" };
        var output = new Option<string>("--output") { Description = "Folder to write (must not hold weights yet)", Required = true };
        var seed = new Option<long>("--seed") { Description = "Random seed for the initial weights", DefaultValueFactory = _ => 0 };
        var command = new Command("init-model", "Write a randomly initialised Hugging Face model folder with a GPT-2/ChatML tokenizer.")
        {
            preset, output, seed,
        };
        command.SetAction((ParseResult r) =>
        {
            var options = new InitModelOptions(r.GetValue(preset)!, r.GetValue(output)!, r.GetValue(seed));
            var config = Run(options);
            Console.WriteLine($"wrote {options.Preset} model ({config.NumHiddenLayers} layers, hidden {config.HiddenSize}, vocab {config.VocabSize}) to {options.Output}");
            return 0;
        });
        return command;
    }

    public static LlamaConfig Run(InitModelOptions options)
    {
        options.Validate();
        using var model = new CausalLm(ModelPresets.Get(options.Preset), options.Seed);
        HfModelFolder.Save(model, options.Output);
        TinyTokenizerFiles.WriteGpt2ChatMl(options.Output);
        return model.Config;
    }
}
