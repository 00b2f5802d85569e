// The real tokenizer folders the parity tests run on, loaded once per test run, with their reference encodings.
using System.Collections.Concurrent;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Testing.Tokenization;

namespace Pipeline.Shared.Tests.Tokenization;

public static class TokenizerZoo
{
    private static readonly ConcurrentDictionary<string, Lazy<HfTokenizer>> Loaded = new();
    private static readonly ConcurrentDictionary<string, Lazy<ReferenceEncoding>> References = new();

    /// <summary>Name, folder and the special tokens its chat template writes.</summary>
    public static readonly Dictionary<string, (string Dir, string[] Specials)> Folders = new()
    {
        ["tiny-llama"] = (RepoPaths.TinyLlama, ["<|begin_of_text|>", "<|end_of_text|>"]),
        ["llama3"] = (NodeReference.LenmlModels("tokenizer-llama3"), ["<|begin_of_text|>", "<|start_header_id|>", "<|eot_id|>"]),
        ["qwen3"] = (NodeReference.LenmlModels("tokenizer-qwen3"), ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]),
        ["llama2"] = (NodeReference.LenmlModels("tokenizer-llama2"), ["<s>", "</s>"]),
        ["gemma3"] = (NodeReference.LenmlModels("tokenizer-gemma3"), ["<bos>", "<start_of_turn>", "<end_of_turn>"]),
    };

    public static TheoryData<string> Names => [.. Folders.Keys];

    public static HfTokenizer Get(string name) =>
        Loaded.GetOrAdd(name, n => new Lazy<HfTokenizer>(() => HfTokenizer.Load(Folders[n].Dir))).Value;

    public static string[] Corpus(string name) => [.. ParityCorpus.Plain, .. ParityCorpus.WithSpecials(Folders[name].Specials)];

    public static ReferenceEncoding Reference(string name) =>
        References.GetOrAdd(name, n => new Lazy<ReferenceEncoding>(() =>
            NodeReference.Encode(Path.Combine(Folders[n].Dir, "tokenizer.json"), Corpus(n)))).Value;
}
