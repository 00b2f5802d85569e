// `pipeline init-model --preset tiny --output DIR [--seed N]`: a randomly initialised model folder with a real
// GPT-2/ChatML tokenizer, loadable by transformers and by `HfModelFolder.Load`.
using System.CommandLine;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Model;

namespace Pipeline.Cli.Commands;

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
            var config = ModelInit.Write(options);
            Console.WriteLine($"wrote {options.Preset} model ({config.NumHiddenLayers} layers, hidden {config.HiddenSize}, vocab {config.VocabSize}) to {options.Output}");
            return 0;
        });
        return command;
    }
}
