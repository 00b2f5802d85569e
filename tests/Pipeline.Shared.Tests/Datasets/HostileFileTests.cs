// The hostile-file corpus: each file gets a report with the reason, never a crash and never an unbounded buffer.
using System.IO.Compression;
using System.Text;
using Parquet;
using Parquet.Schema;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Targets;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Datasets;

public sealed class HostileFileTests
{
    [Fact]
    public async Task Truncated_json_line_is_rejected_as_malformed_and_the_rest_is_kept()
    {
        var file = PreferenceFiles.Pairs(3) + """{"prompt":"Q?","chosen":"A""";
        var report = (await PreferenceFiles.Validate(file)).Report;
        Assert.Equal((4L, ReasonCodes.MalformedJson), (PreferenceFiles.Only(report).Line, PreferenceFiles.Only(report).Reason));
        Assert.Equal(3, report.RowsAccepted);
    }

    [Fact]
    public async Task Binary_garbage_makes_the_file_unusable_with_reasons()
    {
        var garbage = new byte[50_000];
        new Random(7).NextBytes(garbage);
        var report = (await PreferenceFiles.Validate(garbage)).Report;
        Assert.False(report.Usable);
        Assert.Equal(0, report.RowsAccepted);
        Assert.True(report.RowsRejected > 0);
        Assert.All(report.Rejections, r => Assert.Contains(r.Reason, new[] { ReasonCodes.InvalidEncoding, ReasonCodes.MalformedJson }));
    }

    [Fact]
    public async Task Invalid_utf8_row_is_rejected_as_invalid_encoding()
    {
        var bytes = Encoding.UTF8.GetBytes(PreferenceFiles.Pairs(2)).Concat("{\"prompt\":\"caf"u8.ToArray()).Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("\",\"chosen\":\"A\",\"rejected\":\"B\"}\n")).ToArray();
        var report = (await PreferenceFiles.Validate(bytes)).Report;
        Assert.Equal((3L, ReasonCodes.InvalidEncoding), (PreferenceFiles.Only(report).Line, PreferenceFiles.Only(report).Reason));
    }

    [Fact]
    public async Task Utf8_byte_order_mark_is_accepted()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(PreferenceFiles.Pairs(2))).ToArray();
        var withBom = (await PreferenceFiles.Validate(bytes)).Report;
        var without = (await PreferenceFiles.Validate(PreferenceFiles.Pairs(2))).Report;
        Assert.Empty(withBom.Rejections);
        Assert.Equal(without.DatasetId, withBom.DatasetId);
    }

    [Fact]
    public async Task Single_100_mb_line_is_rejected_as_too_long_without_being_buffered()
    {
        // 100 MB of one JSON string on line 2, produced on the fly; the reader must skip it, not hold it.
        var stream = new ConcatStream(Encoding.UTF8.GetBytes(PreferenceFiles.Pairs(1) + "{\"prompt\":\""), (byte)'a', 100L << 20,
            Encoding.UTF8.GetBytes("\",\"chosen\":\"A\",\"rejected\":\"B\"}\n" + PreferenceFiles.Standard("Q?", "C.", "D.") + "\n"));
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var report = (await PreferenceFiles.Validate(stream, "big.jsonl")).Report;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal((2L, ReasonCodes.TooLong), (PreferenceFiles.Only(report).Line, PreferenceFiles.Only(report).Reason));
        Assert.Contains("line limit", PreferenceFiles.Only(report).Message);
        Assert.Equal(2, report.RowsAccepted);
        Assert.True(allocated < 64L << 20, $"allocated {allocated} bytes while skipping a 100 MB line");
    }

    [Fact]
    public async Task Json_nested_ten_thousand_deep_is_rejected_without_crashing()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var report = (await PreferenceFiles.Validate(PreferenceFiles.Lines(PreferenceFiles.Standard("Q?", "A.", "B."), deep))).Report;
        Assert.Equal((2L, ReasonCodes.MalformedJson), (PreferenceFiles.Only(report).Line, PreferenceFiles.Only(report).Reason));

        var array = (await PreferenceFiles.Validate("[" + deep + "]", "deep.json")).Report;
        Assert.False(array.Usable);
        Assert.Equal(ReasonCodes.MalformedJson, PreferenceFiles.Only(array).Reason);
    }

    [Fact]
    public async Task Wrong_types_are_reported_per_field()
    {
        var file = PreferenceFiles.Lines("""{"prompt":["not","messages"],"chosen":"A","rejected":"B"}""", """{"prompt":"Q","chosen":true,"rejected":"B"}""", "42");
        var report = (await PreferenceFiles.Validate(file, profile: new TargetProfile { MaxRejectedShare = 1, MinRows = 1 })).Report;
        Assert.Equal(3, report.Reasons[ReasonCodes.WrongType]);
        Assert.False(report.Usable);
    }

    [Fact]
    public async Task Gzip_bomb_is_stopped_at_the_decompressed_size_limit()
    {
        // 256 MB of one letter compress to about 250 KB; the 8 MB limit stops decompression early.
        var bomb = new MemoryStream();
        await using (var gz = new GZipStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            zeros.AsSpan().Fill((byte)'a');
            for (var i = 0; i < 256; i++) gz.Write(zeros);
        }
        bomb.Position = 0;
        var report = (await PreferenceFiles.Validate(bomb, "bomb.jsonl.gz", profile: new TargetProfile { MaxFileBytes = 8 << 20 })).Report;
        Assert.False(report.Usable);
        Assert.Contains(report.FileProblems, p => p.Code == ReasonCodes.FileTooLarge);
        Assert.InRange(report.BytesRead, 8 << 20, 9 << 20);
    }

    [Fact]
    public async Task Gzipped_jsonl_is_read_like_plain_jsonl()
    {
        var gz = new MemoryStream();
        await using (var z = new GZipStream(gz, CompressionMode.Compress, leaveOpen: true)) z.Write(Encoding.UTF8.GetBytes(PreferenceFiles.Pairs(5)));
        gz.Position = 0;
        var report = (await PreferenceFiles.Validate(gz, "data.jsonl.gz")).Report;
        Assert.Equal((await PreferenceFiles.Validate(PreferenceFiles.Pairs(5))).Report.DatasetId, report.DatasetId);
    }

    [Fact]
    public async Task Parquet_with_the_right_columns_is_accepted()
    {
        var file = await Parquet(("prompt", ["Q1?", "Q2?"]), ("chosen", ["A.", "C."]), ("rejected", ["B.", "D."]));
        var report = (await PreferenceFiles.Validate(file, "data.parquet", new TargetProfile { MinRows = 1 })).Report;
        Assert.True(report.Usable, string.Join("; ", report.FileProblems));
        Assert.Equal(2, report.RowsAccepted);
        Assert.Equal(SchemaNames.Standard, report.Schema);
    }

    [Fact]
    public async Task Parquet_with_the_wrong_columns_is_rejected_as_unknown_schema()
    {
        var file = await Parquet(("question", ["Q1?", "Q2?"]), ("answer", ["A.", "C."]));
        var report = (await PreferenceFiles.Validate(file, "data.parquet")).Report;
        Assert.False(report.Usable);
        Assert.Equal(2, report.Reasons[ReasonCodes.UnknownSchema]);
        Assert.Contains("question", report.Rejections[0].Message);
    }

    [Fact]
    public async Task Garbage_named_parquet_is_reported_as_unreadable()
    {
        var report = (await PreferenceFiles.Validate(Encoding.UTF8.GetBytes("this is not parquet at all"), "data.parquet")).Report;
        Assert.False(report.Usable);
        Assert.Equal(ReasonCodes.UnreadableFile, Assert.Single(report.FileProblems).Code);
    }

    [Theory]
    [InlineData("empty.jsonl", "")]
    [InlineData("blank.jsonl", "\n\n  \n")]
    [InlineData("empty.json", "[]")]
    [InlineData("zero-bytes.json", "")]
    [InlineData("zero-bytes.parquet", "")]
    public async Task Empty_file_is_unusable_with_empty_file_reason(string name, string content)
    {
        var report = (await PreferenceFiles.Validate(content, name)).Report;
        Assert.False(report.Usable);
        Assert.Equal(ReasonCodes.EmptyFile, Assert.Single(report.FileProblems).Code);
    }

    [Fact]
    public async Task Unsupported_extension_is_reported()
    {
        var report = (await PreferenceFiles.Validate(PreferenceFiles.Pairs(2), "data.csv")).Report;
        Assert.Equal(ReasonCodes.UnsupportedContainer, Assert.Single(report.FileProblems).Code);
    }

    [Fact]
    public async Task Mixed_schemas_in_one_file_keep_the_first_and_reject_the_others()
    {
        var openai = """{"input":{"messages":[{"role":"user","content":"Hi?"}]},"preferred_output":[{"role":"assistant","content":"A"}],"non_preferred_output":[{"role":"assistant","content":"B"}]}""";
        var report = (await PreferenceFiles.Validate(PreferenceFiles.Lines(openai, PreferenceFiles.Standard("Q?", "A.", "B."), openai.Replace("Hi?", "Yo?")))).Report;
        Assert.Equal(SchemaNames.OpenAi, report.Schema);
        Assert.Equal((2L, ReasonCodes.UnknownSchema), (PreferenceFiles.Only(report).Line, PreferenceFiles.Only(report).Reason));
    }

    private static async Task<byte[]> Parquet(params (string Name, string[] Values)[] columns)
    {
        var fields = columns.Select(c => new DataField<string>(c.Name)).ToArray();
        var ms = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), ms))
        {
            using var group = writer.CreateRowGroup();
            for (var i = 0; i < columns.Length; i++) await group.WriteAsync(fields[i], columns[i].Values, null);
        }
        return ms.ToArray();
    }

    /// <summary>prefix + count copies of one byte + suffix, generated as it is read (nothing held in memory).</summary>
    private sealed class ConcatStream(byte[] prefix, byte fill, long count, byte[] suffix) : Stream
    {
        private long _pos;
        private long Total => prefix.Length + count + suffix.Length;

        public override int Read(byte[] buffer, int offset, int n) => Read(buffer.AsSpan(offset, n));

        public override int Read(Span<byte> buffer)
        {
            var written = 0;
            while (written < buffer.Length && _pos < Total)
            {
                var dest = buffer[written..];
                int take;
                if (_pos < prefix.Length) { take = (int)Math.Min(dest.Length, prefix.Length - _pos); prefix.AsSpan((int)_pos, take).CopyTo(dest); }
                else if (_pos < prefix.Length + count) { take = (int)Math.Min(dest.Length, prefix.Length + count - _pos); dest[..take].Fill(fill); }
                else { var at = (int)(_pos - prefix.Length - count); take = Math.Min(dest.Length, suffix.Length - at); suffix.AsSpan(at, take).CopyTo(dest); }
                _pos += take;
                written += take;
            }
            return written;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => Total;
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int n) => throw new NotSupportedException();
    }
}
