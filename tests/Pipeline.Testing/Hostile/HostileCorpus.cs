// The hostile-file corpus: files that lie about their sizes, are corrupt or truncated, hold huge rows, or expand without
// end, in every container. Each names the reason code and message part its report must give. Written to a folder so
// child processes (run under a managed-heap cap) read them the way a user's files are read.
using System.IO.Compression;
using System.Text;

namespace Pipeline.Testing.Hostile;

/// <summary>One hostile file and what validating it must say: a file problem or row rejection with
/// <paramref name="Code"/> whose message contains <paramref name="MessagePart"/>.</summary>
public sealed record HostileFile(string Name, string Code, string MessagePart, bool Usable = false);

public static class HostileCorpus
{
    /// <summary>The corpus is validated under this file size limit (after decompression): big enough for the 450 MB
    /// of huge JSON elements, small enough that the bombs stop within a second.</summary>
    public const long MaxFileBytes = 512L << 20;

    /// <summary>The profile the corpus is validated with (a target profile JSON; defaults otherwise).</summary>
    public const string ProfileJson = """{ "max_file_bytes": 536870912, "min_rows": 1 }""";

    /// <summary>The worst file of each container (and of each compression), for the slower entry points.</summary>
    public static readonly IReadOnlyList<string> WorstPerContainer =
        ["long-line.jsonl", "bomb.jsonl.gz", "huge-elements.json.gz", "bomb.json.gz", "rows-1e8.parquet", "dictionary-bomb.parquet"];

    private static string Row(int i) => $$"""{"prompt":"Question {{i}}?","chosen":"Good answer {{i}}.","rejected":"Bad answer {{i}}."}""";

    /// <summary>Writes every file of the corpus into <paramref name="folder"/> and returns what each must produce.</summary>
    public static IReadOnlyList<HostileFile> Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new List<HostileFile>();
        void Add(HostileFile f, byte[] bytes)
        {
            File.WriteAllBytes(Path.Combine(folder, f.Name), bytes);
            files.Add(f);
        }

        // ---- JSON Lines
        using (var line = File.Create(Path.Combine(folder, "long-line.jsonl")))
        {
            line.Write(Encoding.UTF8.GetBytes(Row(0) + "\n{\"prompt\":\""));
            var a = new byte[1 << 20];
            a.AsSpan().Fill((byte)'a');
            for (var i = 0; i < 100; i++) line.Write(a);
            line.Write(Encoding.UTF8.GetBytes("\",\"chosen\":\"A\",\"rejected\":\"B\"}\n" + Row(1) + "\n" + Row(2) + "\n"));
        }
        files.Add(new HostileFile("long-line.jsonl", "too_long", "over the line limit", Usable: true));
        Add(new HostileFile("bomb.jsonl.gz", "file_too_large", "after decompression"),
            GzipMembers(Encoding.UTF8.GetBytes(Row(0) + "\n"), Repeated((byte)'a', 1 << 20), 1100, "\n"u8.ToArray()));
        Add(new HostileFile("utf16.jsonl", "invalid_encoding", "UTF-16"),
            [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Row(0) + "\n" + Row(1) + "\n")]);
        Add(new HostileFile("lone-surrogate.jsonl", "invalid_encoding", "surrogate"),
            Encoding.UTF8.GetBytes("""{"prompt":"Q\ud800?","chosen":"A.","rejected":"B."}""" + "\n" +
                                   """{"prompt":"R?","chosen":"A\udfff.","rejected":"B."}""" + "\n"));
        Add(new HostileFile("truncated.jsonl.gz", "unreadable_file", "decompress"), Gzip(Encoding.UTF8.GetBytes(Row(0) + "\n" + Row(1) + "\n"))[..40]);

        // ---- JSON arrays
        Add(new HostileFile("huge-elements.json.gz", "too_long", "over the line limit"),
            GzipMembers("[\""u8.ToArray(), Repeated((byte)'a', 1 << 20), 150, "\",\""u8.ToArray(), 150, "\",\""u8.ToArray(), 150, "\"]"u8.ToArray()));
        Add(new HostileFile("bomb.json.gz", "file_too_large", "after decompression"),
            GzipMembers(Encoding.UTF8.GetBytes("[" + Row(0) + ","), Repeated((byte)' ', 1 << 20), 1100, "]"u8.ToArray()));
        Add(new HostileFile("truncated.json", "malformed_json", "ends early"), Encoding.UTF8.GetBytes("[" + Row(0) + "," + Row(1)[..30]));
        Add(new HostileFile("not-an-array.json", "malformed_json", "one JSON array"), Encoding.UTF8.GetBytes(Row(0)));
        Add(new HostileFile("utf16.json", "invalid_encoding", "UTF-16"), [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes("[" + Row(0) + "]")]);

        // ---- Parquet: lying footers and page headers, corrupt and truncated files, expansion bombs
        Add(new HostileFile("rows-1e8.parquet", "unreadable_file", "claims 100000000 rows"),
            new ParquetBuilder { RowGroupRows = 100_000_000, ChunkValues = 100_000_000 }.With(2).Build());
        Add(new HostileFile("rows-mismatch.parquet", "unreadable_file", "claims 100000000 rows but its column 'prompt' claims 2 values"),
            new ParquetBuilder { RowGroupRows = 100_000_000 }.With(2).Build());
        Add(new HostileFile("negative-rows.parquet", "unreadable_file", "claims -5 rows"), new ParquetBuilder { RowGroupRows = -5 }.With(2).Build());
        Add(new HostileFile("huge-page.parquet", "unreadable_file", "page limit"),
            new ParquetBuilder { PageUncompressedBytes = int.MaxValue }.With(2).Build());
        Add(new HostileFile("page-size-lie.parquet", "unreadable_file", "its header claims"),
            new ParquetBuilder { PageUncompressedBytes = 10 }.With(2).Build());
        Add(new HostileFile("chunk-past-end.parquet", "unreadable_file", "data ends at byte"),
            new ParquetBuilder { ChunkCompressedBytes = 1L << 40 }.With(2).Build());
        Add(new HostileFile("page-offset.parquet", "unreadable_file", "claims bytes"),
            new ParquetBuilder { DataPageOffset = -100 }.With(2).Build());
        Add(new HostileFile("footer-length.parquet", "unreadable_file", "the footer claims"),
            new ParquetBuilder { FooterLength = 0xFFFF_FFF0 }.With(2).Build());
        Add(new HostileFile("schema-count.parquet", "unreadable_file", "claims 1073741824 elements"),
            new ParquetBuilder { SchemaCount = 1 << 30 }.With(2).Build());
        Add(new HostileFile("row-group-count.parquet", "unreadable_file", "claims 2147483647 elements"),
            new ParquetBuilder { RowGroupCount = int.MaxValue }.With(2).Build());
        Add(new HostileFile("dictionary-count.parquet", "unreadable_file", "dictionary entries"),
            new ParquetBuilder { DictionaryValues = 1_000_000_000 }.With(2, dictionary: true).Build());
        Add(new HostileFile("page-values.parquet", "unreadable_file", "claims 2147483647 rows but its column"),
            new ParquetBuilder { PageValues = int.MaxValue, RowGroupRows = int.MaxValue, ChunkValues = int.MaxValue }.With(2).Build());
        Add(new HostileFile("corrupt-page.parquet", "unreadable_file", "page 0 of column 'prompt'"),
            new ParquetBuilder { FirstPageBytes = b => [.. Enumerable.Range(0, b.Length).Select(i => (byte)(i * 37 + 11))] }.With(2).Build());
        Add(new HostileFile("gzip-page-bomb.parquet", "unreadable_file", "more than the"),
            new ParquetBuilder { Codec = ParquetBuilder.Gzip, FirstPageBytes = _ => Gzip(Repeated((byte)'a', 64 << 20)) }.With(2).Build());
        Add(new HostileFile("zstd-page-bomb.parquet", "unreadable_file", "more than the"),
            new ParquetBuilder { Codec = ParquetBuilder.Zstd, FirstPageBytes = _ => new ZstdSharp.Compressor().Wrap(Repeated((byte)'a', 64 << 20)).ToArray() }.With(2).Build());
        var good = new ParquetBuilder().With(40).Build();
        Add(new HostileFile("truncated.parquet", "unreadable_file", "PAR1"), good[..(good.Length / 2)]);
        Add(new HostileFile("not-parquet.parquet", "unreadable_file", "PAR1"), Encoding.UTF8.GetBytes(new string('x', 100)));
        var bomb = new ParquetBuilder { Codec = ParquetBuilder.Zstd, DictionaryRun = 200_000_000 };
        foreach (var name in new[] { "prompt", "chosen", "rejected" })
            bomb.Columns.Add(new ParquetColumnSpec(name, [name + new string('x', 4000)], Optional: false, Dictionary: true));
        Add(new HostileFile("dictionary-bomb.parquet", "file_too_large", "after decompression"), bomb.Build());
        var numbers = new ParquetBuilder();
        numbers.Columns.Add(new ParquetColumnSpec("prompt", ["1", "2"], Text: false));
        Add(new HostileFile("no-text-columns.parquet", "unknown_schema", "no text columns"), numbers.Build());
        return files;
    }

    private static ParquetBuilder With(this ParquetBuilder b, int rows, bool dictionary = false)
    {
        var standard = ParquetBuilder.Standard(rows, b.Codec, dictionary);
        b.Columns.AddRange(standard.Columns);
        return b;
    }

    private static byte[] Repeated(byte b, int count)
    {
        var bytes = new byte[count];
        bytes.AsSpan().Fill(b);
        return bytes;
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>A gzip file of several members (gzip readers decompress them one after another): a prefix, then
    /// <c>count</c> copies of one compressed block followed by a separator, and so on, so gigabytes cost kilobytes.</summary>
    private static byte[] GzipMembers(byte[] prefix, byte[] block, params object[] countsAndSeparators)
    {
        var member = Gzip(block);
        var ms = new MemoryStream();
        ms.Write(Gzip(prefix));
        for (var i = 0; i < countsAndSeparators.Length; i++)
        {
            if (countsAndSeparators[i] is int count) for (var k = 0; k < count; k++) ms.Write(member);
            else ms.Write(Gzip((byte[])countsAndSeparators[i]));
        }
        return ms.ToArray();
    }
}
