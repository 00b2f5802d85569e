// GPT-2's byte-to-unicode table (openai/gpt-2 encoder.py `bytes_to_unicode`), used by every byte-level BPE vocabulary.
namespace Pipeline.Shared.Tokenization;

public static class ByteLevel
{
    /// <summary>Printable stand-in for each byte value: printable Latin-1 maps to itself, the rest to U+0100 onwards.</summary>
    public static readonly char[] ByteToChar = BuildTable();

    private static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
            chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a vocabulary entry stands for, or null when it holds a character outside the table.</summary>
    public static byte[]? TryDecode(string token)
    {
        var bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out var b))
                return null;
            bytes[i] = b;
        }
        return bytes;
    }

    private static char[] BuildTable()
    {
        var table = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }
}
