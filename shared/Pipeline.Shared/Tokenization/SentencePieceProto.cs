// The fields of SentencePiece's ModelProto (sentencepiece_model.proto) a BPE tokenizer needs, read from protobuf
// wire format: pieces (text, score, type), trainer_spec.model_type / byte_fallback and normalizer_spec flags.
using System.Text;

namespace Pipeline.Shared.Tokenization;

internal sealed record SentencePieceEntry(string Piece, float Score, int Type)
{
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;
}

internal sealed record SentencePieceProto(
    IReadOnlyList<SentencePieceEntry> Pieces,
    int ModelType,
    bool ByteFallback,
    bool AddDummyPrefix,
    bool RemoveExtraWhitespaces,
    bool EscapeWhitespaces)
{
    public const int Bpe = 2;

    public static SentencePieceProto Parse(byte[] data)
    {
        var pieces = new List<SentencePieceEntry>();
        int modelType = 1;
        bool byteFallback = false, addDummyPrefix = true, removeExtra = true, escape = true;
        var r = new Reader(data, 0, data.Length);
        while (r.More)
        {
            var (field, wire) = r.Tag();
            if (field == 1 && wire == 2) pieces.Add(ReadPiece(r.Sub()));
            else if (field == 2 && wire == 2)
            {
                var t = r.Sub();
                while (t.More)
                {
                    var (f, w) = t.Tag();
                    if (f == 3 && w == 0) modelType = (int)t.Varint();
                    else if (f == 35 && w == 0) byteFallback = t.Varint() != 0;
                    else t.Skip(w);
                }
            }
            else if (field == 3 && wire == 2)
            {
                var n = r.Sub();
                while (n.More)
                {
                    var (f, w) = n.Tag();
                    if (f == 3 && w == 0) addDummyPrefix = n.Varint() != 0;
                    else if (f == 4 && w == 0) removeExtra = n.Varint() != 0;
                    else if (f == 5 && w == 0) escape = n.Varint() != 0;
                    else n.Skip(w);
                }
            }
            else r.Skip(wire);
        }
        return new SentencePieceProto(pieces, modelType, byteFallback, addDummyPrefix, removeExtra, escape);
    }

    private static SentencePieceEntry ReadPiece(Reader r)
    {
        string piece = "";
        float score = 0;
        int type = SentencePieceEntry.Normal;
        while (r.More)
        {
            var (f, w) = r.Tag();
            if (f == 1 && w == 2) piece = r.String();
            else if (f == 2 && w == 5) score = r.Fixed32();
            else if (f == 3 && w == 0) type = (int)r.Varint();
            else r.Skip(w);
        }
        return new SentencePieceEntry(piece, score, type);
    }

    private sealed class Reader(byte[] data, int start, int end)
    {
        private int pos = start;

        public bool More => pos < end;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (pos >= end) throw new FormatException("truncated varint");
                var b = data[pos++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw new FormatException("varint longer than 10 bytes");
        }

        public Reader Sub()
        {
            var length = checked((int)Varint());
            if (length < 0 || pos + length > end) throw new FormatException("length-delimited field runs past its message");
            var sub = new Reader(data, pos, pos + length);
            pos += length;
            return sub;
        }

        public string String()
        {
            var length = checked((int)Varint());
            if (length < 0 || pos + length > end) throw new FormatException("string runs past its message");
            var text = Encoding.UTF8.GetString(data, pos, length);
            pos += length;
            return text;
        }

        public float Fixed32()
        {
            if (pos + 4 > end) throw new FormatException("truncated fixed32");
            var value = BitConverter.ToSingle(data, pos);
            pos += 4;
            return value;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: pos += 8; break;
                case 2: Sub(); break;
                case 5: pos += 4; break;
                default: throw new FormatException($"unsupported wire type {wire}");
            }
            if (pos > end) throw new FormatException("field runs past its message");
        }
    }
}
