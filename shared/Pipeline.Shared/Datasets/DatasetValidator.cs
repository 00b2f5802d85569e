// Validates a preference-data file in one streaming pass: one reader, batches parsed on every core, results consumed
// in order (so line numbers, duplicates and the dataset hash are deterministic), accepted rows split train/eval.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Threading.Channels;
using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Datasets;

/// <summary>Where accepted rows go (either may be <see cref="Stream.Null"/>), one normalised JSON line each.</summary>
public sealed record DatasetSinks(Stream Train, Stream Eval)
{
    public static DatasetSinks None { get; } = new(Stream.Null, Stream.Null);
}

/// <summary>The outcome: the report, the accepted pairs' hashes (for the duplicate index) and the content id of the
/// file's unique valid rows before the cross-dataset check (recognises a repeat of the same file). The dataset id is
/// "ds-" + 16 hex of SHA-256 over the accepted rows' 16-byte XxHash128 pair hashes in file order: a hash of the
/// normalised rows that needs no second, serial pass over their bytes.</summary>
public sealed record ValidationResult(ValidationReport Report, IReadOnlyList<UInt128> PairHashes, string? ContentId);

public static class DatasetValidator
{
    /// <summary>Validates the file <paramref name="raw"/> named <paramref name="fileName"/> (extension picks the
    /// container). Bad data becomes the report; only infrastructure faults (storage, cancellation) throw.</summary>
    public static async Task<ValidationResult> ValidateAsync(Stream raw, string fileName, ValidationSettings settings, DatasetSinks sinks, CancellationToken ct)
    {
        var profile = settings.Profile;
        var state = new State(fileName, settings);
        var parser = new RowParser(profile.Schema, profile.ColumnMapping);
        OpenedFile? file = null;
        try
        {
            file = await DatasetFile.OpenAsync(raw, fileName, profile.MaxFileBytes, profile.MaxLineBytes, ct, parser.Fields).ConfigureAwait(false);
            await RunAsync(file.Reader, parser, settings, state, sinks, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (Unwrap(e) is RowReadException r)
        {
            if (file is { BytesRead: 0 }) state.Problems.Add(new FileProblem(ReasonCodes.EmptyFile, "the file is empty"));
            else if (r.Row is { } row) state.Reject(row, r.Reason, r.Message);
            else state.Problems.Add(new FileProblem(r.Reason, r.Message));
        }
        catch (Exception e) when (Unwrap(e) is DataLimitExceededException d)
        {
            state.Problems.Add(new FileProblem(ReasonCodes.FileTooLarge, d.Message));
        }
        catch (Exception e) when (Unwrap(e) is InvalidDataException d)
        {
            state.Problems.Add(new FileProblem(ReasonCodes.UnreadableFile, $"the file cannot be decompressed: {d.Message}"));
        }
        catch (Exception e) when (IsReaderFault(Unwrap(e)))
        {
            // Whatever else a reader or parser throws on a file's bytes is the file's problem, not the host's: a report,
            // never an exception that would retry the same bytes until the host gives up.
            var inner = Unwrap(e);
            state.Problems.Add(new FileProblem(ReasonCodes.UnreadableFile, $"the file could not be read ({inner.GetType().Name}: {inner.Message})"));
        }
        finally
        {
            if (file is not null)
            {
                state.BytesRead = file.BytesRead;
                await file.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                await raw.DisposeAsync().ConfigureAwait(false);
            }
        }
        await sinks.Train.FlushAsync(ct).ConfigureAwait(false);
        await sinks.Eval.FlushAsync(ct).ConfigureAwait(false);
        return state.Finish();
    }

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerExceptions.Count: 1 } a ? Unwrap(a.InnerException!) : e;

    /// <summary>False for what is not the file's fault and must reach the host: storage and network faults (the source
    /// stream, the sinks, the temporary file), cancellation, and running out of memory.</summary>
    private static bool IsReaderFault(Exception e) =>
        e is not (IOException or Azure.RequestFailedException or HttpRequestException or TimeoutException or OperationCanceledException
            or OutOfMemoryException or UnauthorizedAccessException or AggregateException);

    private static async Task RunAsync(IRowReader reader, RowParser parser, ValidationSettings settings, State state, DatasetSinks sinks, CancellationToken ct)
    {
        // In-flight batches are bounded in number (about parallelism * 2 of ~1 MB) and in bytes, so memory is too even
        // when every batch is one max_line_bytes row on a many-core machine.
        var inFlight = Channel.CreateBounded<(Task<OutcomeBatch> Batch, long Bytes)>(Math.Max(2, settings.Parallelism * 2));
        var gate = new ByteGate(MaxInFlightBytes);
        // Stops the producer when the consumer fails, so it does not wait for room forever.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var producer = Task.Run(async () =>
        {
            try
            {
                while (await reader.NextAsync(stop.Token).ConfigureAwait(false) is { } batch)
                {
                    long bytes = batch.Count;
                    await gate.EnterAsync(bytes, stop.Token).ConfigureAwait(false);
                    await inFlight.Writer.WriteAsync((Task.Run(() => RowOutcome.ForBatch(batch, parser, settings), stop.Token), bytes), stop.Token).ConfigureAwait(false);
                }
                inFlight.Writer.Complete();
            }
            catch (Exception e)
            {
                inFlight.Writer.Complete(e);
            }
        }, stop.Token);

        try
        {
            await foreach (var (task, bytes) in inFlight.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                var batch = await task.ConfigureAwait(false);
                state.Touch(batch);
                foreach (ref readonly var outcome in batch.Rows) state.Consume(outcome, batch);
                batch.Release();
                gate.Exit(bytes);
                await state.FlushAsync(sinks, ct).ConfigureAwait(false);
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        await producer.ConfigureAwait(false);
        await inFlight.Reader.Completion.ConfigureAwait(false);
    }

    /// <summary>Raw bytes of the batches being validated at once (their normalised lines are about as many again).</summary>
    internal const long MaxInFlightBytes = 16L << 20;

    /// <summary>Admits batches while their bytes fit under a limit; one batch is always admitted when none is in flight.</summary>
    private sealed class ByteGate(long limitBytes)
    {
        private readonly Lock _lock = new();
        private long _held;
        private TaskCompletionSource? _released;

        public async ValueTask EnterAsync(long bytes, CancellationToken ct)
        {
            while (true)
            {
                Task wait;
                lock (_lock)
                {
                    if (_held == 0 || _held + bytes <= limitBytes)
                    {
                        _held += bytes;
                        return;
                    }
                    wait = (_released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
                await wait.WaitAsync(ct).ConfigureAwait(false);
            }
        }

        public void Exit(long bytes)
        {
            TaskCompletionSource? released;
            lock (_lock)
            {
                _held -= bytes;
                (released, _released) = (_released, null);
            }
            released?.TrySetResult();
        }
    }

    /// <summary>The sequential part: schema consistency, length policy, duplicates, hashing, split, counts.</summary>
    private sealed class State(string fileName, ValidationSettings settings)
    {
        private readonly TargetProfile _profile = settings.Profile;
        private readonly FirstLines _seen = new();
        private readonly RowHashes _content = new();
        private readonly RowHashes _dataset = new();
        private readonly PooledBuffer _trainLines = new(1 << 16), _evalLines = new(1 << 16);
        private readonly List<UInt128> _accepted = [];
        private readonly List<int> _lengths = [];
        private readonly SortedDictionary<string, long> _reasons = new(StringComparer.Ordinal);
        private readonly List<Rejection> _rejections = [];
        private readonly ulong _evalThreshold = (ulong)(settings.Profile.EvalShare * ulong.MaxValue);
        private string? _schema;
        private long _rowsRead, _train, _eval, _tooLong, _truncatedRows, _truncatedLength;

        public readonly List<FileProblem> Problems = [];
        public long BytesRead;

        private bool TokenLimit => settings.Tokenizer is not null && _profile.MaxLength is not null;
        private int Limit => TokenLimit ? _profile.MaxLength!.Value : _profile.MaxChars;

        public void Reject(long line, string reason, string message)
        {
            _rowsRead++;
            _reasons[reason] = _reasons.GetValueOrDefault(reason) + 1;
            if (_reasons[reason] <= ValidationReport.RejectionsPerReason) _rejections.Add(new Rejection(line, reason, message));
            if (reason == ReasonCodes.TooLong) _tooLong++;
        }

        /// <summary>Brings the batch's duplicate-index slots into cache, all misses in flight together.</summary>
        public void Touch(OutcomeBatch batch)
        {
            foreach (ref readonly var o in batch.Rows)
                if (o.Reason is null) _seen.Touch(o.PairHash);
        }

        /// <summary>Judges one outcome in file order; an accepted line is staged for its split's sink.</summary>
        public void Consume(in RowOutcome o, OutcomeBatch batch)
        {
            if (o.Reason is not null)
            {
                Reject(o.Line, o.Reason, o.Message!);
                return;
            }
            _schema ??= o.Schema;
            if (o.Schema != _schema)
            {
                Reject(o.Line, ReasonCodes.UnknownSchema, $"row is in the {o.Schema} schema but the file is {_schema} (mixed schemas)");
                return;
            }
            var length = TokenLimit ? o.Tokens : o.Chars;
            var over = length > Limit && _profile.TooLongPolicy == TooLongPolicies.Truncate;
            if (length > Limit && !over)
            {
                Reject(o.Line, ReasonCodes.TooLong, $"prompt + completion is {length} {(TokenLimit ? "tokens" : "characters")}, over the limit of {Limit}");
                return;
            }
            if (_seen.FirstOrAdd(o.PairHash, o.Line) is { } first)
            {
                Reject(o.Line, ReasonCodes.DuplicatePair, $"same pair as line {first}");
                return;
            }
            _content.Append(o.PairHash);
            if (settings.KnownPairs.Contains(o.PairHash))
            {
                Reject(o.Line, ReasonCodes.DuplicatePair, "pair is already in an earlier dataset of this target");
                return;
            }
            _rowsRead++;
            _accepted.Add(o.PairHash);
            if (over) (_truncatedRows, _truncatedLength) = (_truncatedRows + 1, _truncatedLength + length - Limit);
            _lengths.Add(settings.CountsTokens ? o.Tokens : o.Chars);
            _dataset.Append(o.PairHash);
            var eval = o.PromptHash < _evalThreshold;
            if (eval) _eval++; else _train++;
            var staged = eval ? _evalLines : _trainLines;
            staged.Write(batch.Line(o));
            staged.Write("\n"u8);
        }

        /// <summary>Writes the lines staged since the last call (at most one batch's worth) to the sinks.</summary>
        public async ValueTask FlushAsync(DatasetSinks sinks, CancellationToken ct)
        {
            await Flush(_trainLines, sinks.Train).ConfigureAwait(false);
            await Flush(_evalLines, sinks.Eval).ConfigureAwait(false);

            async ValueTask Flush(PooledBuffer staged, Stream sink)
            {
                if (staged.WrittenCount == 0) return;
                await sink.WriteAsync(staged.WrittenMemory, ct).ConfigureAwait(false);
                staged.Clear();
            }
        }

        public ValidationResult Finish()
        {
            var accepted = _accepted.Count;
            var rejected = _rowsRead - accepted;
            if (_rowsRead == 0 && Problems.Count == 0)
                Problems.Add(new FileProblem(ReasonCodes.EmptyFile, "the file holds no rows"));
            if (BytesRead > _profile.MaxFileBytes && Problems.All(p => p.Code != ReasonCodes.FileTooLarge))
                Problems.Add(new FileProblem(ReasonCodes.FileTooLarge, $"the file is over the size limit of {_profile.MaxFileBytes} bytes"));
            if (_rowsRead > 0 && accepted < _profile.MinRows)
                Problems.Add(new FileProblem(ReasonCodes.TooFewRows, $"{accepted} valid rows, fewer than the minimum of {_profile.MinRows}"));
            if (_rowsRead > 0 && (double)rejected / _rowsRead > _profile.MaxRejectedShare)
                Problems.Add(new FileProblem(ReasonCodes.RejectedShareTooHigh,
                    $"{rejected} of {_rowsRead} rows rejected ({100.0 * rejected / _rowsRead:F1}%), over the limit of {100 * _profile.MaxRejectedShare:F1}%"));
            if (_tooLong > 0 && _profile.TooLongPolicy == TooLongPolicies.RejectFile)
                Problems.Add(new FileProblem(ReasonCodes.TooLong, $"{_tooLong} rows are too long and the target's too_long_policy is reject_file"));
            var usable = Problems.Count == 0;
            var lengths = Stats(_lengths, settings.CountsTokens ? "tokens" : "chars");
            var report = new ValidationReport
            {
                File = fileName,
                Usable = usable,
                Schema = _schema,
                BytesRead = BytesRead,
                RowsRead = _rowsRead,
                RowsAccepted = accepted,
                RowsRejected = rejected,
                Reasons = _reasons,
                Rejections = _rejections.OrderBy(r => r.Line).ToList(),
                FileProblems = Problems,
                DatasetId = usable ? "ds-" + _dataset.Id() : null,
                TrainRows = _train,
                EvalRows = _eval,
                Tokenizer = settings.Tokenizer is null ? null : settings.TokenizerName ?? "configured",
                MaxLength = _profile.MaxLength,
                TokenLengths = settings.CountsTokens ? lengths : null,
                CharLengths = settings.CountsTokens ? null : lengths,
                TruncatedRows = _truncatedRows,
                TruncatedLength = _truncatedLength,
            };
            // Computed even for an unusable file: a repeat whose rows all duplicate its own earlier dataset is recognised by it.
            var contentId = _seen.Count > 0 ? "ct-" + _content.Id() : null;
            return new ValidationResult(report, _accepted, contentId);
        }

        /// <summary>SHA-256 over a sequence of 16-byte (big-endian) pair hashes, fed to the hash 4 KB at a time.</summary>
        private sealed class RowHashes
        {
            private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            private readonly byte[] _pending = new byte[256 * 16];
            private int _count;

            public void Append(UInt128 pairHash)
            {
                if (_count == _pending.Length)
                {
                    _hash.AppendData(_pending);
                    _count = 0;
                }
                BinaryPrimitives.WriteUInt128BigEndian(_pending.AsSpan(_count), pairHash);
                _count += 16;
            }

            /// <summary>The first 16 hex digits of the hash of everything appended.</summary>
            public string Id()
            {
                _hash.AppendData(_pending, 0, _count);
                _count = 0;
                return Convert.ToHexStringLower(_hash.GetHashAndReset())[..16];
            }
        }

        private static LengthStats? Stats(List<int> values, string unit)
        {
            if (values.Count == 0) return null;
            values.Sort();
            int At(double q) => values[Math.Min(values.Count - 1, (int)Math.Ceiling(q * values.Count) - 1)];
            return new LengthStats(unit, At(0.5), At(0.9), At(0.99), values[^1]);
        }
    }
}
