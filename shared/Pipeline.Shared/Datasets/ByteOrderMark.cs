// The encoding check at a file's first bytes: rows must be UTF-8, so a UTF-16 or UTF-32 file (with its byte order mark,
// or with the NUL bytes its ASCII characters start or end with) is refused as a whole, naming the encoding.
namespace Pipeline.Shared.Datasets;

internal static class ByteOrderMark
{
    public static ReadOnlySpan<byte> Utf8 => [0xEF, 0xBB, 0xBF];

    /// <summary>Throws <see cref="RowReadException"/> (invalid_encoding) when <paramref name="start"/>, the first bytes of
    /// a file, show UTF-16 or UTF-32.</summary>
    public static void ThrowIfNotUtf8(ReadOnlySpan<byte> start)
    {
        string? found = null;
        if (start.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF])) found = "UTF-32 (byte order mark 00 00 FE FF)";
        else if (start.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) found = "UTF-16 or UTF-32 (byte order mark FF FE)";
        else if (start.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) found = "UTF-16 (byte order mark FE FF)";
        else if (start[..Math.Min(4, start.Length)].Contains((byte)0)) found = "UTF-16 or UTF-32 (NUL bytes in its first characters)";
        if (found is not null)
            throw new RowReadException(ReasonCodes.InvalidEncoding, $"the file is {found}, not UTF-8: save it as UTF-8");
    }
}
