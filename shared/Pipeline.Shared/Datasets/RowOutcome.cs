// The parallel part of validation: one raw row parsed, normalised, hashed (SHA-256 of the line) and measured.
using System.IO.Hashing;

namespace Pipeline.Shared.Datasets;

internal readonly record struct RowOutcome(
    long Line, string? Reason, string? Message, string? Schema,
    byte[] Normalised, UInt128 PairHash, UInt128 HashTail, ulong PromptHash, int Chars, int Tokens)
{
    public static RowOutcome[] ForBatch(RawBatch batch, RowParser parser, ValidationSettings settings)
    {
        var result = new RowOutcome[batch.Rows.Count];
        for (var i = 0; i < result.Length; i++) result[i] = ForRow(batch, batch.Rows[i], parser, settings);
        batch.Release();
        return result;
    }

    private static RowOutcome ForRow(RawBatch batch, RawRow row, RowParser parser, ValidationSettings settings)
    {
        if (row.OversizeBytes > 0)
            return Reject(row.Number, ReasonCodes.TooLong,
                $"line is {row.OversizeBytes} bytes, over the line limit of {settings.Profile.MaxLineBytes} bytes (not read further)");
        var parsed = parser.Parse(batch.Bytes(row));
        if (parsed.Reason is not null) return Reject(row.Number, parsed.Reason, parsed.Message!) with { Schema = parsed.Schema };
        var pair = parsed.Pair!;
        var line = pair.ToJsonLine(out var promptBytes);
        var (pairHash, tail) = PairIndex.RowHash(line);
        // The split only needs a stable, well-mixed number per prompt: a fast non-cryptographic hash is enough.
        var promptHash = XxHash3.HashToUInt64(line.AsSpan(0, promptBytes));
        var chars = pair.Prompt.Sum(m => m.Content.Length) + Math.Max(pair.Chosen.Sum(m => m.Content.Length), pair.Rejected.Sum(m => m.Content.Length));
        var tokens = 0;
        if (settings.Tokenizer is { } tok)
            tokens = pair.Prompt.Sum(m => tok.CountTokens(m.Content)) +
                     Math.Max(pair.Chosen.Sum(m => tok.CountTokens(m.Content)), pair.Rejected.Sum(m => tok.CountTokens(m.Content)));
        return new RowOutcome(row.Number, null, null, parsed.Schema, line, pairHash, tail, promptHash, chars, tokens);
    }

    private static RowOutcome Reject(long line, string reason, string message) => new(line, reason, message, null, [], 0, 0, 0, 0, 0);
}
