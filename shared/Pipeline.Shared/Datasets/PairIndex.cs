// The per-target duplicate index: 16-byte (big-endian) prefixes of SHA-256 over each normalised row line.
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Pipeline.Shared.Datasets;

public static class PairIndex
{
    public static UInt128 Hash(ReadOnlySpan<byte> normalisedLine) => RowHash(normalisedLine).Pair;

    /// <summary>SHA-256 of a normalised line: the first half is the pair hash, all of it feeds the dataset id.</summary>
    public static (UInt128 Pair, UInt128 Tail) RowHash(ReadOnlySpan<byte> normalisedLine)
    {
        Span<byte> hash = stackalloc byte[32];
        // One reusable hash object per thread: the one-shot SHA256.HashData sets up and frees an OpenSSL context per
        // call, which on ~1 KB rows cost about a third as much as the hashing itself.
        var sha = t_sha ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(normalisedLine);
        sha.GetHashAndReset(hash);
        return (BinaryPrimitives.ReadUInt128BigEndian(hash), BinaryPrimitives.ReadUInt128BigEndian(hash[16..]));
    }

    [ThreadStatic] private static IncrementalHash? t_sha;

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
