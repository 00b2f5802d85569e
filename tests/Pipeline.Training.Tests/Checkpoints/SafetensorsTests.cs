// The safetensors byte layout, checked the way Python's `safetensors` reads it, and malformed files.
using System.Text;
using System.Text.Json;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Checkpoints;

public sealed class SafetensorsTests
{
    [Fact]
    public void Written_header_follows_the_spec_byte_for_byte()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["b.weight"] = arange(0, 6, ScalarType.Float32).view(2, 3),
            ["a.bias"] = tensor(new float[] { 1.5f, -2f }).to_type(ScalarType.BFloat16),
            ["c.odd"] = ones(3, ScalarType.Float16), // 6 bytes: later offsets are not 8-aligned, as the spec allows
        };
        Safetensors.Write(tensors, dir.File("x.safetensors"));

        // Python's reader: u64 little-endian N, N bytes of JSON (trailing spaces allowed), data from 8 + N.
        var bytes = File.ReadAllBytes(dir.File("x.safetensors"));
        var n = (long)BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        var headerText = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", headerText);
        Assert.EndsWith("}", headerText.TrimEnd(' '));
        var header = JsonDocument.Parse(headerText).RootElement;
        Assert.Equal("pt", header.GetProperty("__metadata__").GetProperty("format").GetString());

        var entries = header.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Select(p => (p.Name, Dtype: p.Value.GetProperty("dtype").GetString(),
                Shape: p.Value.GetProperty("shape").Deserialize<long[]>()!, Offsets: p.Value.GetProperty("data_offsets").Deserialize<long[]>()!))
            .OrderBy(e => e.Offsets[0]).ToList();
        Assert.Equal(["a.bias", "b.weight", "c.odd"], entries.Select(e => e.Name));
        Assert.Equal(["BF16", "F32", "F16"], entries.Select(e => e.Dtype));
        Assert.Equal(0, entries[0].Offsets[0]);
        for (var i = 1; i < entries.Count; i++)
            Assert.Equal(entries[i - 1].Offsets[1], entries[i].Offsets[0]); // contiguous, no holes
        Assert.Equal(bytes.Length - 8 - n, entries[^1].Offsets[1]);
        var weight = entries[1];
        var floats = new float[6];
        Buffer.BlockCopy(bytes, (int)(8 + n + weight.Offsets[0]), floats, 0, 24);
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f], floats);
        Assert.Equal(new byte[] { 0xC0, 0x3F }, bytes[(int)(8 + n)..(int)(8 + n + 2)]); // bf16 1.5 little-endian

        var back = Safetensors.Read(dir.File("x.safetensors"));
        Assert.All(tensors, kv => Assert.True(TensorAssert.Same(kv.Value, back[kv.Key]), kv.Key));
    }

    [Fact]
    public void Header_length_beyond_the_file_is_an_error_naming_the_file()
    {
        using var dir = new TempDir();
        var path = dir.File("broken.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(4096L), .. "{}"u8.ToArray()]);

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("header length 4096", error.Message);
    }

    [Fact]
    public void Offsets_that_disagree_with_the_shape_are_an_error_naming_the_tensor()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.safetensors");
        var json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}"u8.ToArray();
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)json.Length), .. json, .. new byte[12]]);

        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Read(path));
        Assert.Contains("tensor 'w'", error.Message);
        Assert.Contains("(16 bytes)", error.Message);
    }
}
