// `pipeline ingest --target T FILE`: uploads FILE to incoming/{T}/ (create-only) and runs the ingestion service on it,
// against the storage in env PIPELINE_STORAGE (default UseDevelopmentStorage=true).
using System.CommandLine;
using Pipeline.Cli.Local;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Cli.Commands;

public static class IngestCommand
{
    public static Command Create(Func<string, ITextTokenizer>? resolveTokenizer = null)
    {
        var target = new Option<string?>("--target") { Description = "target name (lower-case letters, digits, hyphens)" };
        var file = new Argument<string?>("FILE") { Description = "the preference-data file to upload and ingest", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("ingest", "Upload a file to incoming/{target}/ and ingest it; exit 0 ingested, 1 quarantined or failed, 2 usage error.")
        {
            target, file,
        };
        cmd.SetAction(async (ParseResult r, CancellationToken ct) => await LocalCommands.IngestAsync(
            new IngestArguments(r.GetValue(target), r.GetValue(file)), StorageOptions.FromEnvironment(),
            resolveTokenizer ?? TokenizerResolvers.Builtin, Console.Out, Console.Error, ct));
        return cmd;
    }
}
