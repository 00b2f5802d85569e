// Decompresses gzip (RFC 1952) member by member and checks every member's CRC-32 and length trailer, so a truncated
// file is an error, not a quietly shorter dataset: .NET's GZipStream returns what it decoded when its input ends early.
// Raw deflate is .NET's; this class parses the member headers and finds each trailer right after its deflate data.
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Pipeline.Shared.Datasets;

public sealed class GzipReader(Stream raw) : ReadOnlyStream
{
    private readonly Source _source = new(raw);
    private readonly Crc32 _crc = new();
    private DeflateStream? _member;
    private long _memberBytes;
    private int _members;
    private bool _done;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (!_done && !buffer.IsEmpty)
        {
            if (_member is null && !StartMember()) break;
            var n = _member!.Read(buffer);
            if (n > 0)
            {
                _crc.Append(buffer[..n]);
                _memberBytes += n;
                return n;
            }
            EndMember();
        }
        return 0;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!_done && !buffer.IsEmpty)
        {
            // Member headers and trailers are a few bytes, read as they come; the deflate data is read asynchronously.
            if (_member is null && !StartMember()) break;
            var n = await _member!.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0)
            {
                _crc.Append(buffer.Span[..n]);
                _memberBytes += n;
                return n;
            }
            EndMember();
        }
        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads the next member's header; false at the end of the file (after at least one member).</summary>
    private bool StartMember()
    {
        Span<byte> header = stackalloc byte[10];
        var got = _source.ReadFully(header);
        if (got == 0 || _members > 0 && header[..got].IndexOfAnyExcept((byte)0) < 0 && _source.RestIsZero())
        {
            _done = true; // the end (an empty file has no rows), or zero padding after the last member (gzip ignores it too)
            return false;
        }
        if (got < 10 || header[0] != 0x1F || header[1] != 0x8B)
            throw new InvalidDataException(_members == 0 ? "the file is not gzip data" : $"gzip member {_members + 1} has no gzip header");
        if (header[2] != 8) throw new InvalidDataException($"gzip member {_members + 1} uses compression method {header[2]}, not deflate");
        var flags = header[3];
        if ((flags & 0xE0) != 0) throw new InvalidDataException($"gzip member {_members + 1} has reserved flag bits set");
        Span<byte> two = stackalloc byte[2];
        if ((flags & 0x04) != 0) // FEXTRA
        {
            if (_source.ReadFully(two) < 2) throw Truncated();
            _source.Skip(BinaryPrimitives.ReadUInt16LittleEndian(two));
        }
        if ((flags & 0x08) != 0) _source.SkipPastZero(); // FNAME
        if ((flags & 0x10) != 0) _source.SkipPastZero(); // FCOMMENT
        if ((flags & 0x02) != 0 && _source.ReadFully(two) < 2) throw Truncated(); // FHCRC
        _members++;
        _crc.Reset();
        _memberBytes = 0;
        _source.StartDeflate();
        _member = new DeflateStream(_source, CompressionMode.Decompress, leaveOpen: true);
        return true;
    }

    /// <summary>The member's deflate data has ended (or its input has): its trailer must follow, matching what it decoded.</summary>
    private void EndMember()
    {
        _member!.Dispose();
        _member = null;
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc.GetCurrentHashAsUInt32());
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], (uint)_memberBytes);
        if (!_source.EndDeflate(trailer))
            throw new InvalidDataException($"gzip member {_members} ends without its CRC-32 and length trailer after {_memberBytes} bytes: " +
                                           "the file is truncated or corrupt");
    }

    private static InvalidDataException Truncated() => new("the gzip data ends inside a member header: the file is truncated");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _member?.Dispose();
            raw.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>The compressed bytes, with bytes pushed back after a trailer, and a record of the last two reads the
    /// deflate decoder made: its data ends inside them, so the trailer is found there without knowing how far it read.</summary>
    private sealed class Source(Stream raw) : ReadOnlyStream
    {
        private byte[] _pushback = [];
        private int _pushbackAt;
        private readonly byte[][] _handed = [new byte[16 << 10], new byte[16 << 10]];
        private readonly int[] _handedCount = new int[2];
        private int _last;
        private bool _recording;
        private bool _eof;

        public void StartDeflate()
        {
            (_recording, _handedCount[0], _handedCount[1]) = (true, 0, 0);
        }

        /// <summary>Finds <paramref name="trailer"/> in the deflate decoder's last reads (plus 8 bytes beyond), pushes
        /// back what follows it, and returns whether it was there.</summary>
        public bool EndDeflate(ReadOnlySpan<byte> trailer)
        {
            _recording = false;
            var previous = 1 - _last;
            var window = new byte[_handedCount[previous] + _handedCount[_last] + 8];
            _handed[previous].AsSpan(0, _handedCount[previous]).CopyTo(window);
            _handed[_last].AsSpan(0, _handedCount[_last]).CopyTo(window.AsSpan(_handedCount[previous]));
            var peeked = ReadFully(window.AsSpan(_handedCount[previous] + _handedCount[_last]));
            var length = window.Length - 8 + peeked;
            var at = window.AsSpan(0, length).IndexOf(trailer);
            if (at < 0) return false;
            // Everything after the trailer that was taken from the input goes back, ahead of what is still pushed back.
            var after = window.AsSpan(at + 8, length - at - 8);
            var rest = _pushback.AsSpan(_pushbackAt);
            _pushback = [.. after, .. rest];
            _pushbackAt = 0;
            return true;
        }

        /// <summary>Reads to the end; true when every byte left is zero.</summary>
        public bool RestIsZero()
        {
            Span<byte> chunk = stackalloc byte[4096];
            int n;
            while ((n = Take(chunk)) > 0)
                if (chunk[..n].IndexOfAnyExcept((byte)0) >= 0) return false;
            return true;
        }

        public int ReadFully(Span<byte> buffer)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var n = Take(buffer[total..]);
                if (n == 0) break;
                total += n;
            }
            return total;
        }

        public void Skip(int bytes)
        {
            Span<byte> sink = stackalloc byte[256];
            while (bytes > 0)
            {
                var n = Take(sink[..Math.Min(bytes, sink.Length)]);
                if (n == 0) throw new InvalidDataException("the gzip data ends inside a member header: the file is truncated");
                bytes -= n;
            }
        }

        public void SkipPastZero()
        {
            Span<byte> one = stackalloc byte[1];
            for (var i = 0; ; i++)
            {
                if (Take(one) == 0) throw new InvalidDataException("the gzip data ends inside a member header: the file is truncated");
                if (one[0] == 0) return;
                if (i > 1 << 20) throw new InvalidDataException("a gzip member header's name or comment is longer than 1 MB");
            }
        }

        private async ValueTask<int> TakeAsync(Memory<byte> buffer, CancellationToken ct)
        {
            if (_pushbackAt < _pushback.Length || _eof) return Take(buffer.Span);
            var read = await raw.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (read == 0) _eof = true;
            return read;
        }

        private int Take(Span<byte> buffer)
        {
            if (_pushbackAt < _pushback.Length)
            {
                var n = Math.Min(buffer.Length, _pushback.Length - _pushbackAt);
                _pushback.AsSpan(_pushbackAt, n).CopyTo(buffer);
                _pushbackAt += n;
                return n;
            }
            if (_eof) return 0;
            var read = raw.Read(buffer);
            if (read == 0) _eof = true;
            return read;
        }

        public override int Read(Span<byte> buffer) => Record(buffer, Take(buffer[..Math.Min(buffer.Length, _handed[0].Length)]));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await TakeAsync(buffer[..Math.Min(buffer.Length, _handed[0].Length)], cancellationToken).ConfigureAwait(false);
            return Record(buffer.Span, n);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        /// <summary>Keeps a copy of the deflate decoder's last reads (at most one record each): its data ends inside the last two.</summary>
        private int Record(Span<byte> buffer, int n)
        {
            if (_recording && n > 0)
            {
                _last = 1 - _last;
                buffer[..n].CopyTo(_handed[_last]);
                _handedCount[_last] = n;
            }
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    }
}
