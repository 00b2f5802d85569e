// The test assembly's entry point when a test runs it as a child process (the test runner never calls Main):
// `dotnet Pipeline.Shared.Tests.dll validate-all FOLDER PROFILE_JSON` validates every file in FOLDER as ingestion
// does and prints one JSON line per file, so the hostile corpus runs under a heap cap in one process. For measuring
// peak memory by hand: `write-corpus FOLDER` writes the hostile corpus, `write-large FOLDER` files at the readers' limits.
using System.Text.Json;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Tests;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["write-corpus", var target])
        {
            Pipeline.Testing.Hostile.HostileCorpus.Write(target);
            return 0;
        }
        if (args is ["write-large", var dir])
        {
            var random = new Random(1);
            string Text(int n) => new(Enumerable.Range(0, n).Select(_ => (char)('a' + random.Next(26))).ToArray());
            var b = new Pipeline.Testing.Hostile.ParquetBuilder { RowsPerPage = 1000 };
            foreach (var name in new[] { "prompt", "chosen", "rejected" })
                b.Columns.Add(new(name, [.. Enumerable.Range(0, 1000).Select(_ => Text(15_500))]));
            File.WriteAllBytes(Path.Combine(dir, "near-limit-pages.parquet"), b.Build());
            using var jsonl = new StreamWriter(Path.Combine(dir, "near-limit-lines.jsonl"));
            for (var i = 0; i < 20; i++) jsonl.Write("{\"prompt\":\"" + i + new string('a', 16_000_000) + "\",\"chosen\":\"b\",\"rejected\":\"c\"}\n");
            return 0;
        }
        if (args is not ["validate-all", var folder, var profileJson]) return 2;
        var settings = new ValidationSettings { Profile = TargetProfile.Parse(profileJson, "profile") };
        foreach (var path in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = await DatasetValidator.ValidateAsync(File.OpenRead(path), Path.GetFileName(path), settings, DatasetSinks.None, CancellationToken.None);
            Console.WriteLine(JsonSerializer.Serialize(result.Report));
            Console.Error.WriteLine($"{Path.GetFileName(path)}: {clock.ElapsedMilliseconds} ms");
        }
        return 0;
    }
}
