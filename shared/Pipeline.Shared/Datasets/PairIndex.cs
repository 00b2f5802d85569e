// The per-target duplicate index: XxHash128 of each normalised row line, 16 bytes big-endian per pair, stored as
// datasets/{target}/_pairs/{datasetId}.xxh128.bin. Versioned by name: the SHA-256-prefix format (…/{datasetId}.bin,
// never deployed) is neither read nor written, so hashes of the two functions never meet in one set.
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Pipeline.Shared.Datasets;

public static class PairIndex
{
    /// <summary>The pair hash of a normalised line. 128 bits dedupe one team's own data (not a security boundary):
    /// a collision needs ~2^64 rows. XxHash128 runs at memory speed, SHA-256 at ~1.7 GB/s per core.</summary>
    public static UInt128 Hash(ReadOnlySpan<byte> normalisedLine) => XxHash128.HashToUInt128(normalisedLine);

    public static byte[] Encode(IReadOnlyList<UInt128> hashes)
    {
        var bytes = new byte[hashes.Count * 16];
        for (var i = 0; i < hashes.Count; i++) BinaryPrimitives.WriteUInt128BigEndian(bytes.AsSpan(i * 16), hashes[i]);
        return bytes;
    }

    public static void Decode(ReadOnlySpan<byte> bytes, ISet<UInt128> into)
    {
        if (bytes.Length % 16 != 0) throw new InvalidDataException($"pair index has {bytes.Length} bytes, not a multiple of 16");
        for (var i = 0; i < bytes.Length; i += 16) into.Add(BinaryPrimitives.ReadUInt128BigEndian(bytes[i..]));
    }
}
