// The command line: one file per verb in this folder; each adds itself to the root command here.
using System.CommandLine;

namespace Pipeline.Cli.Commands;

public static class CommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("ORPO preference-data pipeline: validate and ingest data, train, evaluate and generate, run the worker or the local demo.");
        // Verbs are registered here, one line each.
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(WatchCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(WorkerCommand.Create());
        root.Subcommands.Add(InitModelCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(TokenizeCommand.Create());
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Usage errors exit 2 (System.CommandLine's own default is 1, which `validate` uses for "not usable").
            foreach (var error in parse.Errors) Console.Error.WriteLine(error.Message);
            Console.Error.WriteLine("Run `pipeline --help` or `pipeline VERB --help` for usage.");
            return 2;
        }
        return await parse.InvokeAsync();
    }
}
