// Loading reads straight into parameters made in the stored dtype: a bf16 checkpoint costs its own size in RSS, not the
// 2x of a float32 model nor the extra copy of a loader that stages whole tensors or maps the file.
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Model;
using static TorchSharp.torch;
using Xunit.Abstractions;

namespace Pipeline.Training.Tests.Checkpoints;

[Collection(ProcessMemoryCollection.Name)]
public sealed class LoadMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void Loading_a_bf16_checkpoint_peaks_within_1_1x_its_file_size()
    {
        using var dir = new TempDir();
        // About 180 MB of bf16: large enough that the file size dwarfs what loading allocates besides the weights.
        var config = new LlamaConfig
        {
            VocabSize = 32768, HiddenSize = 1024, IntermediateSize = 2816, NumHiddenLayers = 2, NumAttentionHeads = 8,
            NumKeyValueHeads = 8, TieWordEmbeddings = false, TorchDtype = "bfloat16",
        };
        using (var model = new CausalLm(config, new ParameterAllocator(ScalarType.BFloat16, CPU), initialize: false))
        {
            using (no_grad()) foreach (var p in model.parameters()) p.fill_(0.5);
            HfModelFolder.Save(model, dir.Path);
        }
        var fileBytes = new FileInfo(dir.File("model.safetensors")).Length;
        using (HfModelFolder.Load(dir.Path, CPU)) { } // first call JIT-compiles the loader; measure the second

        ProcessMemoryCollection.Settle();
        Assert.True(TorchRuntime.ResetPeakResident(), "this test needs /proc/self/clear_refs");
        var before = TorchRuntime.ResidentBytes();
        using var loaded = HfModelFolder.Load(dir.Path, CPU);
        var growth = TorchRuntime.PeakResidentBytes() - before;

        output.WriteLine($"file {fileBytes >> 20} MiB, peak RSS growth while loading {growth >> 20} MiB ({(double)growth / fileBytes:F3}x)");
        Assert.Equal(ScalarType.BFloat16, loaded.Dtype);
        Assert.Equal(0.5f, loaded.state_dict()["lm_head.weight"][0, 0].to_type(ScalarType.Float32).item<float>());
        Assert.True(growth <= 1.1 * fileBytes, $"loading grew RSS by {growth >> 20} MiB for a {fileBytes >> 20} MiB file");
    }
}
