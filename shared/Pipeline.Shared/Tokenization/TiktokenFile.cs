// tiktoken rank files (`*.tiktoken`, and Llama 3's `original/tokenizer.model`): base64 token bytes and rank per line.
// Special tokens come from tokenizer_config.json; the split pattern is Llama 3's (= cl100k), the one such files use.
using System.Text;

namespace Pipeline.Shared.Tokenization;

internal static class TiktokenFile
{
    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static bool LooksLikeTiktoken(string path)
    {
        using var reader = new StreamReader(path);
        var first = reader.ReadLine();
        return first is not null && TryParse(first, out _, out _);
    }

    public static TokenizerModel Read(string path, TokenizerConfig config)
    {
        var ranks = new List<KeyValuePair<byte[], int>>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0) continue;
            if (!TryParse(line, out var bytes, out var rank))
                throw new TokenizerFormatException(path, $"line {lineNo} is not 'base64 rank'");
            ranks.Add(new(bytes, rank));
        }
        var maxId = Math.Max(ranks.Max(r => r.Value), config.AddedTokens.Count == 0 ? -1 : config.AddedTokens.Max(a => a.Id));
        var idBytes = new byte[maxId + 1][];
        Array.Fill(idBytes, []);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (bytes, rank) in ranks)
        {
            idBytes[rank] = bytes;
            vocab[ByteLevel.Encode(bytes)] = rank;
        }
        foreach (var a in config.AddedTokens)
            idBytes[a.Id] = Encoding.UTF8.GetBytes(a.Content);
        var pieces = TiktokenPieceEncoder.Create(ranks, new(Llama3Pattern, System.Text.RegularExpressions.RegexOptions.Compiled), nfc: false);
        return new TokenizerModel(pieces, idBytes, [], vocab, 0, null);
    }

    private static bool TryParse(string line, out byte[] bytes, out int rank)
    {
        bytes = [];
        rank = 0;
        var space = line.IndexOf(' ');
        if (space <= 0 || !int.TryParse(line.AsSpan(space + 1), System.Globalization.NumberStyles.None, null, out rank))
            return false;
        try
        {
            bytes = Convert.FromBase64String(line[..space]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
