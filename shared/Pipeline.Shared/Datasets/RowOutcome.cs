// The parallel part of validation: each raw row of a batch parsed, normalised into the batch's line buffer, hashed
// (XxHash128 of the line) and measured. Valid standard rows take the DOM-free fast path; every other row the DOM path.
using System.Buffers;
using System.IO.Hashing;
using System.Text.Json;
using Pipeline.Shared.Targets;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Shared.Datasets;

/// <summary>One row's verdict; an accepted row's normalised line is bytes [LineStart, LineStart + LineLength) of its
/// batch's line buffer.</summary>
internal readonly record struct RowOutcome(
    long Line, string? Reason, string? Message, string? Schema,
    int LineStart, int LineLength, UInt128 PairHash, ulong PromptHash, int Chars, int Tokens)
{
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public static OutcomeBatch ForBatch(RawBatch batch, RowParser parser, ValidationSettings settings)
    {
        // Normalised lines are about as long as the raw ones; the buffer grows if not.
        var lines = new PooledBuffer(batch.Count + batch.Count / 4);
        var writer = t_writer ??= new Utf8JsonWriter(lines, PreferencePair.WriterOptions);
        var rows = ArrayPool<RowOutcome>.Shared.Rent(batch.Rows.Count);
        for (var i = 0; i < batch.Rows.Count; i++) rows[i] = ForRow(batch, batch.Rows[i], parser, settings, writer, lines);
        var count = batch.Rows.Count;
        batch.Release();
        return new OutcomeBatch(rows, count, lines);
    }

    private static RowOutcome ForRow(RawBatch batch, RawRow row, RowParser parser, ValidationSettings settings, Utf8JsonWriter writer, PooledBuffer lines)
    {
        if (row.OversizeBytes > 0)
            return Reject(row.Number, ReasonCodes.TooLong,
                $"row is {row.OversizeBytes} bytes, over the line limit of {settings.Profile.MaxLineBytes} bytes (max_line_bytes; not read further)");
        var json = batch.Bytes(row);
        if (RowParser.CheckBytes(json.Span) is { } bad) return Reject(row.Number, bad.Reason!, bad.Message!);
        var start = lines.WrittenCount;
        if (parser.MayBeStandard && StandardRowWriter.TryWrite(json.Span, writer, lines, settings.Tokenizer, out var fast))
            return Accept(row.Number, SchemaNames.Standard, lines, start, fast.PromptBytes, fast.Chars, fast.Tokens);

        var parsed = parser.ParseJson(json);
        if (parsed.Reason is not null) return Reject(row.Number, parsed.Reason, parsed.Message!) with { Schema = parsed.Schema };
        var pair = parsed.Pair!;
        lines.Write(pair.ToJsonLine(out var promptBytes));
        var chars = Sum(pair.Prompt, m => m.Content.Length) + Math.Max(Sum(pair.Chosen, m => m.Content.Length), Sum(pair.Rejected, m => m.Content.Length));
        var tokens = 0;
        if (settings.Tokenizer is { } tok)
            tokens = Sum(pair.Prompt, m => tok.CountTokens(m.Content)) +
                     Math.Max(Sum(pair.Chosen, m => tok.CountTokens(m.Content)), Sum(pair.Rejected, m => tok.CountTokens(m.Content)));
        return Accept(row.Number, parsed.Schema!, lines, start, promptBytes, chars, tokens);
    }

    private static RowOutcome Accept(long number, string schema, PooledBuffer lines, int start, int promptBytes, int chars, int tokens)
    {
        var line = lines.WrittenSpan[start..];
        var pairHash = PairIndex.Hash(line);
        // The split only needs a stable, well-mixed number per prompt: a fast non-cryptographic hash is enough.
        var promptHash = XxHash3.HashToUInt64(line[..promptBytes]);
        return new RowOutcome(number, null, null, schema, start, line.Length,
            pairHash, promptHash, chars, tokens);
    }

    private static int Sum(IReadOnlyList<ChatMessage> messages, Func<ChatMessage, int> f)
    {
        var sum = 0;
        for (var i = 0; i < messages.Count; i++) sum += f(messages[i]);
        return sum;
    }

    private static RowOutcome Reject(long line, string reason, string message) => new(line, reason, message, null, 0, 0, 0, 0, 0, 0);
}

/// <summary>A batch's outcomes in row order and the pooled buffer holding their normalised lines.</summary>
internal sealed class OutcomeBatch(RowOutcome[] rows, int count, PooledBuffer lines)
{
    public ReadOnlySpan<RowOutcome> Rows => rows.AsSpan(0, count);

    public ReadOnlySpan<byte> Line(in RowOutcome o) => lines.WrittenSpan.Slice(o.LineStart, o.LineLength);

    /// <summary>Returns both arrays to their pools; the batch must not be read afterwards.</summary>
    public void Release()
    {
        ArrayPool<RowOutcome>.Shared.Return(rows, clearArray: true);
        lines.Release();
    }
}
