// `./run bench ingest [--size-mb N] [--file PATH] [--mode M]`: validation throughput on a generated JSONL file of
// standard pairs (generated once, reused by every mode). Each mode runs in its own child process (peak RSS = VmHWM
// per mode), first warms up on a 16 MB prefix (JIT, tiering, tokenizer cache, as in a running host), then is timed:
//   baseline        read + split lines (JsonLinesReader) + JsonDocument.Parse per row, ONE thread
//   validate        full validation without tokens: reader task, batches of 512 rows validated on the thread pool
//                   (Parallelism = all cores, 2 x cores batches in flight), in-order consumer. floor >= 0.5x baseline
//   tokenizer       same reader, same batches on the same pool and bound: GPT-2 CountTokens of prompt/chosen/rejected
//   validate-tokens validate + CountTokens in the same parallel stage                  floor >= 0.8x tokenizer
//   stages          (not in the table) one-thread CPU-time profile of each validation stage over the file in memory
// GC: default (workstation, concurrent), as in the Functions and CLI hosts; validation allocates ~0.1 MB per MB
// (pooled batch and line buffers), 3 gen0 collections per 300 MB, so the GC mode does not matter.
// This machine runs the kernel's autogroup scheduler under load ~10-20: the bench's threads together get about one
// session's share, so wall-clock ratios there follow CPU-work ratios; the "by CPU seconds" line gives idle-core bounds.
// Measured 2026-11-27 12:06-12:22 UTC on 2 cores (Zen 4), fully optimised code (DOTNET_TieredCompilation=0), pair
// hash XxHash128 (MB/s | CPU s | peak RSS MB; then validate/baseline wall (by CPU on 2 idle cores), v-t/tokenizer):
//   315 MB, load  9.2: baseline 1142 | 0.1 | 57, validate 1114 | 0.3 | 113; 0.98 (<= 1.07); 0.47 (CPU 1.28)
//   315 MB, load 12.3: baseline  997 | 0.15 | 57, validate 452 | 0.30 | 113; 0.45 (<= 0.98); 1.00 (CPU 0.99)
//   315 MB, load 16.8: baseline 1255 | 0.15 | 57, validate 747 | 0.29 | 111; 0.60 (<= 1.02); 0.93 (CPU 1.03)
//   315 MB, load 13.1: baseline 1025 | 0.15 | 58, validate 442 | 0.31 | 113; 0.43 (<= 0.97); 1.17 (CPU 1.04)
//   315 MB, load 11.4: baseline 1606 | 0.15 | 57, validate 633 | 0.31 | 111; 0.39 (<= 0.99); 0.85 (CPU 0.99)
//   1074 MB, load 10.9-14.9: baseline 1553 | 0.45 | 57, validate 679 | 0.95 | 181; 0.44 (<= 0.95);
//     tokenizer 21.5 MB/s | 23.3 | 92, validate-tokens 20.6 | 24.2 | 199; 0.96 (CPU 0.96)
// Validation now does ~2.0-2.1x the baseline's CPU work per byte (4.5x with SHA-256 pair hashes: 0.6-0.7 CPU s per
// 315 MB; SHA-256 of every row alone was 0.26 CPU s, XxHash128 is 0.01), so on 2 idle cores validate / baseline is
// about 1.0; on this shared machine the wall ratio was 0.39-0.98: 0.60 and 0.98 in two runs, 0.39-0.45 in four at
// load 11-15, where one autogroup share makes it the CPU ratio (~0.5) less scheduling losses. Where validate's
// ~0.30 CPU s per 315 MB go (--mode stages, and runs with parts switched off): reader ~0.04 (the baseline's too),
// fast path 0.11 (as much as JsonDocument.Parse alone), byte checks 0.02, hashes 0.01, the serial in-order consumer
// ~0.085, of which the within-file duplicate table (FirstLines) ~0.05-0.06, the rest copying lines into the split
// buffers and feeding the id hashes (each within the +-0.03 noise of one run).
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Targets;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Benchmarks;

public static class IngestBenchmark
{
    private static readonly string[] Modes = ["baseline", "validate", "tokenizer", "validate-tokens"];

    public static async Task<int> RunAsync(string[] args)
    {
        var sizeMb = 1024L;
        string? file = null, mode = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--size-mb" when i + 1 < args.Length && long.TryParse(args[i + 1], out var n) && n > 0: sizeMb = n; i++; break;
                case "--file" when i + 1 < args.Length: file = args[++i]; break;
                case "--mode" when i + 1 < args.Length: mode = args[++i]; break;
                default:
                    Console.Error.WriteLine($"usage: ingest [--size-mb N (default 1024)] [--file PATH]; unknown argument '{args[i]}'");
                    return 2;
            }
        }
        if (mode is not null) return await ChildAsync(mode, file!);

        file ??= Path.Combine(Path.GetTempPath(), $"pipeline-ingest-bench-{sizeMb}mb.jsonl");
        if (!File.Exists(file) || new FileInfo(file).Length < sizeMb << 20) Generate(file, sizeMb << 20);
        Console.WriteLine($"file {file}: {new FileInfo(file).Length / 1e6:F0} MB, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var results = new Dictionary<string, Measured>();
        WarmupFile(file);
        foreach (var m in Modes) results[m] = RunChild(m, file);

        Console.WriteLine();
        // CPU seconds (all threads, whole child process) show the work done, whatever else the machine is running.
        Console.WriteLine($"| mode | MB/s | pairs/s | seconds | CPU seconds | peak RSS MB |");
        Console.WriteLine($"| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (m, r) in results)
            Console.WriteLine($"| {m} | {r.MegabytesPerSecond:F1} | {r.PairsPerSecond:F0} | {r.Seconds:F2} | {r.CpuSeconds:F2} | {r.PeakRssKb / 1024.0:F0} |");
        var floorValidate = results["validate"].MegabytesPerSecond / results["baseline"].MegabytesPerSecond;
        var floorTokens = results["validate-tokens"].MegabytesPerSecond / results["tokenizer"].MegabytesPerSecond;
        var peak = results.Values.Max(r => r.PeakRssKb) / 1024.0;
        Console.WriteLine();
        Console.WriteLine($"validate / baseline = {floorValidate:F2} (floor 0.5): {(floorValidate >= 0.5 ? "ok" : "BELOW FLOOR")}");
        Console.WriteLine($"validate-tokens / tokenizer = {floorTokens:F2} (floor 0.8): {(floorTokens >= 0.8 ? "ok" : "BELOW FLOOR")}");
        Console.WriteLine($"peak RSS {peak:F0} MB (limit 300): {(peak < 300 ? "ok" : "OVER LIMIT")}");
        // What the wall-clock ratios would be on idle cores, from CPU seconds (the work done): validation spreads
        // over every core, the baseline uses one; tokenizer and validate-tokens use the same cores the same way.
        var work = results["validate"].CpuSeconds / results["baseline"].CpuSeconds;
        var cores = Environment.ProcessorCount;
        Console.WriteLine($"by CPU seconds: validate does {work:F1}x the baseline's work per byte, so on {cores} idle cores " +
                          $"validate / baseline <= {cores / work:F2}; tokenizer / validate-tokens work = {results["tokenizer"].CpuSeconds / results["validate-tokens"].CpuSeconds:F2}");
        return floorValidate >= 0.5 && floorTokens >= 0.8 && peak < 300 ? 0 : 1;
    }

    private sealed record Measured(string Mode, double Seconds, double CpuSeconds, long Bytes, long Pairs, long PeakRssKb,
        long AllocatedMb = 0, int Gen0 = 0, int Gen2 = 0, double GcPauseSeconds = 0)
    {
        public double MegabytesPerSecond => Bytes / 1e6 / Seconds;
        public double PairsPerSecond => Pairs / Seconds;
    }

    private static Measured RunChild(string mode, string file)
    {
        var self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(IngestBenchmark).Assembly.Location);
        foreach (var a in new[] { "ingest", "--mode", mode, "--file", file }) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"mode {mode} failed with exit code {child.ExitCode}: {output}");
        var m = JsonSerializer.Deserialize<Measured>(output.Trim().Split('\n')[^1])!;
        Console.WriteLine($"{mode,-16} {m.MegabytesPerSecond,8:F1} MB/s {m.PairsPerSecond,10:F0} pairs/s  peak RSS {m.PeakRssKb / 1024.0:F0} MB");
        return m;
    }

    private static async Task<int> ChildAsync(string mode, string file)
    {
        // Warm up first, as a host that has been running is: JIT and tiered compilation (which, on a loaded machine,
        // otherwise lags for seconds and doubles the CPU time of a short run) and the tokenizer's cache.
        if (mode != "stages")
        {
            await RunModeAsync(mode, WarmupFile(file));
            Thread.Sleep(500);
        }
        var bytes = new FileInfo(file).Length;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var pairs = await RunModeAsync(mode, file);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new Measured(mode, seconds, cpu, bytes, pairs, PeakRssKb(),
            GC.GetTotalAllocatedBytes() >> 20, GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalPauseDuration().TotalSeconds)));
        return 0;
    }

    private static async Task<long> RunModeAsync(string mode, string file) => mode switch
    {
        "baseline" => await BaselineAsync(file),
        "validate" => await ValidateAsync(file, tokenizer: null),
        "tokenizer" => await TokenizerAloneAsync(file, new Gpt2TextTokenizer()),
        "validate-tokens" => await ValidateAsync(file, new Gpt2TextTokenizer()),
        "stages" => await StagesAsync(file),
        _ => throw new ArgumentException($"unknown mode {mode}"),
    };

    /// <summary>The first whole lines (about 16 MB) of <paramref name="file"/>, written once next to it.</summary>
    private static string WarmupFile(string file)
    {
        var warmup = file + ".warmup";
        if (File.Exists(warmup)) return warmup;
        var temp = warmup + "." + Environment.ProcessId;
        using (var w = new StreamWriter(temp, false, new UTF8Encoding(false)))
        {
            long written = 0;
            foreach (var line in File.ReadLines(file))
            {
                if (written > 16 << 20) break;
                w.Write(line);
                w.Write('\n');
                written += line.Length + 1;
            }
        }
        File.Move(temp, warmup, overwrite: true);
        return warmup;
    }

    private static FileStream Open(string file) => new(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    private static async Task<long> BaselineAsync(string file)
    {
        var reader = new JsonLinesReader(Open(file), int.MaxValue);
        long pairs = 0;
        while (await reader.NextAsync(default) is { } batch)
        {
            foreach (var row in batch.Rows)
            {
                using var doc = JsonDocument.Parse(batch.Bytes(row));
                if (doc.RootElement.ValueKind == JsonValueKind.Object) pairs++;
            }
            batch.Release();
        }
        return pairs;
    }

    private static async Task<long> ValidateAsync(string file, Gpt2TextTokenizer? tokenizer)
    {
        var settings = new ValidationSettings
        {
            Tokenizer = tokenizer,
            Profile = new TargetProfile { MaxLength = tokenizer is null ? null : 1_000_000, MaxChars = 1_000_000 },
        };
        var result = await DatasetValidator.ValidateAsync(Open(file), "bench.jsonl", settings, DatasetSinks.None, default);
        if (!result.Report.Usable) throw new InvalidOperationException($"generated file is not usable: {result.Report.ToJson()}");
        return result.Report.RowsAccepted;
    }

    /// <summary>Token counting alone: the string fields of each row, batches on every core, as validation does.</summary>
    private static async Task<long> TokenizerAloneAsync(string file, Gpt2TextTokenizer tokenizer)
    {
        var reader = new JsonLinesReader(Open(file), int.MaxValue);
        var inFlight = Channel.CreateBounded<Task<Counted>>(Environment.ProcessorCount * 2);
        var producer = Task.Run(async () =>
        {
            while (await reader.NextAsync(default) is { } batch)
                await inFlight.Writer.WriteAsync(Task.Run(() => Count(batch)));
            inFlight.Writer.Complete();
        });
        long pairs = 0, tokens = 0;
        await foreach (var t in inFlight.Reader.ReadAllAsync())
        {
            var c = await t;
            (pairs, tokens) = (pairs + c.Rows, tokens + c.Tokens);
        }
        await producer;
        if (tokens == 0) throw new InvalidOperationException("no tokens counted");
        return pairs;

        Counted Count(RawBatch batch)
        {
            long n = 0;
            foreach (var row in batch.Rows)
            {
                var json = new Utf8JsonReader(batch.Bytes(row).Span);
                while (json.Read())
                    if (json.TokenType == JsonTokenType.String && json.CurrentDepth == 1)
                        n += tokenizer.CountTokens(json.GetString()!);
            }
            var rows = batch.Rows.Count;
            batch.Release();
            return new Counted(rows, n);
        }
    }

    private readonly record struct Counted(long Rows, long Tokens);

    /// <summary>`--mode stages`: a profile. The file's rows are read into memory, then each stage of validation runs
    /// alone over all of them on one thread; figures are process CPU seconds, so other tenants barely blur them.</summary>
    private static async Task<long> StagesAsync(string file)
    {
        var cpu = Process.GetCurrentProcess();
        double Cpu() { cpu.Refresh(); return cpu.TotalProcessorTime.TotalSeconds; }
        var stages = new List<(string Stage, double Seconds)>();
        var t = Cpu();
        void Lap(string stage) { var now = Cpu(); stages.Add((stage, now - t)); t = now; }

        var reader = new JsonLinesReader(Open(file), int.MaxValue);
        var batches = new List<RawBatch>();
        while (await reader.NextAsync(default) is { } batch) batches.Add(batch);
        Lap("read + split lines (reader thread)");
        long pairs = batches.Sum(b => (long)b.Rows.Count);
        t = Cpu();

        foreach (var b in batches) foreach (var r in b.Rows) using (JsonDocument.Parse(b.Bytes(r))) { }
        Lap("baseline: JsonDocument.Parse");
        foreach (var b in batches) foreach (var r in b.Rows) RowParser.CheckBytes(b.Bytes(r).Span);
        Lap("UTF-8 + control byte check");
        var parser = new RowParser(null, null);
        foreach (var b in batches) foreach (var r in b.Rows) parser.ParseJson(b.Bytes(r)).Pair!.ToJsonLine();
        Lap("(old) DOM parse + checks + ToJsonLine");
        var lines = new PooledBuffer(4 << 20);
        using var writer = new Utf8JsonWriter(lines, PreferencePair.WriterOptions);
        var starts = new List<(int Start, int PromptBytes)>();
        void WriteBatch(RawBatch b)
        {
            lines.Clear();
            starts.Clear();
            foreach (var r in b.Rows)
            {
                var start = lines.WrittenCount;
                if (!StandardRowWriter.TryWrite(b.Bytes(r).Span, writer, lines, null, out var row)) throw new InvalidOperationException("fast path declined a generated row");
                starts.Add((start, row.PromptBytes));
            }
        }
        foreach (var b in batches) WriteBatch(b);
        Lap("fast path: read, check, write line");
        var fastPath = stages[^1].Seconds;
        foreach (var b in batches)
        {
            WriteBatch(b);
            for (var i = 0; i < starts.Count; i++)
            {
                var line = lines.WrittenSpan[starts[i].Start..(i + 1 < starts.Count ? starts[i + 1].Start : lines.WrittenCount)];
                PairIndex.Hash(line);
                System.IO.Hashing.XxHash3.HashToUInt64(line[..starts[i].PromptBytes]);
            }
        }
        Lap("XxHash128 of line + XxHash3 of prompt");
        stages[^1] = (stages[^1].Stage, stages[^1].Seconds - fastPath);
        Span<byte> digest = stackalloc byte[32];
        foreach (var b in batches)
        {
            WriteBatch(b);
            for (var i = 0; i < starts.Count; i++)
                System.Security.Cryptography.SHA256.HashData(lines.WrittenSpan[starts[i].Start..(i + 1 < starts.Count ? starts[i + 1].Start : lines.WrittenCount)], digest);
        }
        Lap("(SHA-256 of line instead: the old pair hash)");
        stages[^1] = (stages[^1].Stage, stages[^1].Seconds - fastPath);
        var tokenizer = new Gpt2TextTokenizer();
        foreach (var b in batches.Take(Math.Max(1, batches.Count / 10)))
            foreach (var r in b.Rows)
            {
                var json = new Utf8JsonReader(b.Bytes(r).Span);
                while (json.Read())
                    if (json.TokenType == JsonTokenType.String && json.CurrentDepth == 1) tokenizer.CountTokens(json.GetString()!);
            }
        Lap("tokenizer (measured on 1/10, scaled x10)");
        stages[^1] = (stages[^1].Stage, stages[^1].Seconds * batches.Count / Math.Max(1, batches.Count / 10));

        var mb = new FileInfo(file).Length / 1e6;
        foreach (var (stage, seconds) in stages)
            Console.Error.WriteLine($"{stage,-42} {seconds,6:F2} CPU s  {mb / seconds,7:F0} MB/s per core");
        return pairs;
    }

    private static long PeakRssKb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return -1;
    }

    /// <summary>Standard-format pairs with varied, unique text (seeded), about 1 KB a row.</summary>
    private static void Generate(string file, long bytes)
    {
        Console.WriteLine($"generating {bytes / 1e6:F0} MB of pairs in {file} ...");
        var words = "the a model answer question data train value system user helpful clear short long reason because which would could should review check result error fix test build run pipeline storage queue token length split hash report line file".Split(' ');
        var rng = new Random(42);
        using var w = new StreamWriter(file, false, new UTF8Encoding(false), 1 << 20);
        long written = 0;
        var sb = new StringBuilder();
        for (long i = 0; written < bytes; i++)
        {
            var line = JsonSerializer.Serialize(new { prompt = $"#{i}: {Text(30)}?", chosen = Text(80) + ".", rejected = Text(70) + "!" });
            w.Write(line);
            w.Write('\n');
            written += Encoding.UTF8.GetByteCount(line) + 1;
        }

        string Text(int n)
        {
            sb.Clear();
            for (var k = 0; k < n; k++) sb.Append(k == 0 ? "" : " ").Append(words[rng.Next(words.Length)]);
            return sb.ToString();
        }
    }
}
