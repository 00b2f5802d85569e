// A Hugging Face tokenizer folder (tokenizer.json, or tokenizer.model as SentencePiece or tiktoken, plus
// tokenizer_config.json) behind ITextTokenizer, giving the ids that Hugging Face `tokenizers` gives.
using System.Text;

namespace Pipeline.Shared.Tokenization;

public sealed class HfTokenizer : ITextTokenizer
{
    private readonly TokenizerModel model;
    private readonly AddedTokenSplitter allAdded;
    private readonly AddedTokenSplitter plainAdded;
    private readonly Dictionary<string, int> addedIds;

    private HfTokenizer(TokenizerModel model, TokenizerConfig config)
    {
        this.model = model;
        var added = model.AddedTokens.Concat(config.AddedTokens).DistinctBy(a => a.Id).ToList();
        allAdded = new AddedTokenSplitter(added);
        plainAdded = new AddedTokenSplitter(added.Where(a => !a.Special));
        addedIds = added.GroupBy(a => a.Content).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);
        BosToken = config.BosToken;
        EosToken = config.EosToken;
        PadToken = config.PadToken;
        ChatTemplate = config.ChatTemplate;
        BosTokenId = IdOf(BosToken);
        EosTokenId = IdOf(EosToken);
        PadTokenId = IdOf(PadToken);
        AddBosToken = config.AddBosToken ?? (model.PrefixBosToken is not null && model.PrefixBosToken == BosToken);
        VocabularySize = model.IdBytes.Length;
    }

    internal static HfTokenizer LoadWithMergeEngine(string dir) =>
        new(TokenizerJsonReader.Read(Path.Combine(dir, "tokenizer.json"), allowTiktoken: false),
            TokenizerConfig.Read(Path.Combine(dir, "tokenizer_config.json")));

    /// <summary>Loads <paramref name="dir"/>; every failure is a <see cref="TokenizerFormatException"/> naming the file.</summary>
    public static HfTokenizer Load(string dir)
    {
        if (!Directory.Exists(dir))
            throw new TokenizerFormatException(dir, "tokenizer folder does not exist");
        var config = TokenizerConfig.Read(Path.Combine(dir, "tokenizer_config.json"));
        var json = Path.Combine(dir, "tokenizer.json");
        if (File.Exists(json))
            return new HfTokenizer(TokenizerJsonReader.Read(json), config);
        var spm = Path.Combine(dir, "tokenizer.model");
        if (File.Exists(spm))
            return new HfTokenizer(TiktokenFile.LooksLikeTiktoken(spm) ? TiktokenFile.Read(spm, config) : SentencePieceFile.Read(spm, config), config);
        var tiktoken = Directory.GetFiles(dir, "*.tiktoken").OrderBy(f => f, StringComparer.Ordinal).FirstOrDefault();
        if (tiktoken is not null)
            return new HfTokenizer(TiktokenFile.Read(tiktoken, config), config);
        throw new TokenizerFormatException(dir, "no tokenizer.json, tokenizer.model or *.tiktoken file in this folder");
    }

    public string? BosToken { get; }
    public string? EosToken { get; }
    public string? PadToken { get; }
    public string? ChatTemplate { get; }

    /// <summary>Whether Hugging Face puts BOS in front of an encoded sequence (`add_bos_token` or the post-processor).</summary>
    public bool AddBosToken { get; }

    public int VocabularySize { get; }
    public int? BosTokenId { get; }
    public int? EosTokenId { get; }
    public int? PadTokenId { get; }

    /// <summary>Ids of <paramref name="text"/> read literally: special-token strings in it are plain text (safe for user data).</summary>
    public IReadOnlyList<int> Encode(string text) => EncodeWith(plainAdded, text);

    /// <summary>Ids as Hugging Face gives them: special-token strings in the text (e.g. from a chat template) become their ids.</summary>
    public IReadOnlyList<int> EncodeWithSpecialTokens(string text) => EncodeWith(allAdded, text);

    public int CountTokens(string text)
    {
        if (plainAdded.IsEmpty) return model.Pieces.Count(text);
        var count = 0;
        plainAdded.Split(text, s => count += model.Pieces.Count(s), _ => count++);
        return count;
    }

    /// <summary>Text of <paramref name="ids"/>, special tokens included (Hugging Face `decode` defaults).</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)model.IdBytes.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id outside the vocabulary (size {VocabularySize}).");
            bytes.AddRange(model.IdBytes[id]);
        }
        var text = Encoding.UTF8.GetString(bytes.ToArray());
        for (var i = 0; i < model.StripLeadingSpaces && text.StartsWith(' '); i++)
            text = text[1..];
        return text;
    }

    /// <summary>Id of a token string (added token or vocabulary entry), or null.</summary>
    public int? IdOf(string? token) =>
        token is null ? null
        : addedIds.TryGetValue(token, out var a) ? a
        : model.Vocab.TryGetValue(token, out var v) ? v
        : null;

    private List<int> EncodeWith(AddedTokenSplitter splitter, string text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        splitter.Split(text, s => model.Pieces.Encode(s, ids), t => ids.Add(t.Id));
        return ids;
    }
}
