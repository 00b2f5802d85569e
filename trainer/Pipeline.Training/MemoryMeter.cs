// Memory of one training run, for train_summary.json and the report: on the CPU the peak RSS of the run (Linux VmHWM,
// reset when the run starts) and the RSS after setup and at step boundaries; on CUDA the device memory in use seen at
// those points (cudaMemGetInfo: TorchSharp 0.107 exposes none of the caching allocator's statistics). Host-only reads.
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

public sealed class MemoryMeter
{
    /// <summary>What the figures measure: "cpu_rss" or "cuda_device_in_use" (the whole device, caching allocator included).</summary>
    public string Kind { get; }
    /// <summary>Peak of the run: VmHWM since <see cref="Start"/>, or the most device memory in use seen (CUDA).</summary>
    public long PeakBytes => _cuda is null ? Math.Max(_peakSampled, TorchRuntime.PeakResidentBytes()) : _peakSampled;
    /// <summary>Memory when the loop is about to take its first step (model, adapter, optimizer in place).</summary>
    public long AfterSetupBytes { get; private set; }
    /// <summary>The most memory seen between two steps after the first: what a step leaves behind.</summary>
    public long BetweenStepsBytes { get; private set; }

    private readonly CudaMemInfo? _cuda;
    private long _peakSampled;

    private MemoryMeter(CudaMemInfo? cuda)
    {
        _cuda = cuda;
        Kind = cuda is null ? "cpu_rss" : "cuda_device_in_use";
    }

    /// <summary>Starts measuring a run on <paramref name="device"/> (resets the process's peak RSS on the CPU).</summary>
    public static MemoryMeter Start(Device device)
    {
        var cuda = device.type == DeviceType.CUDA ? CudaMemInfo.TryLoad() : null;
        if (cuda is null)
            TorchRuntime.ResetPeakResident();
        var meter = new MemoryMeter(cuda);
        meter.Current();
        return meter;
    }

    public void SetupDone() => AfterSetupBytes = Current();

    /// <summary>Called between optimizer steps (after the first: a step's own temporaries are gone by then).</summary>
    public void StepDone() => BetweenStepsBytes = Math.Max(BetweenStepsBytes, Current());

    private long Current()
    {
        var bytes = _cuda?.InUseBytes() ?? TorchRuntime.ResidentBytes();
        _peakSampled = Math.Max(_peakSampled, bytes);
        return bytes;
    }

    /// <summary>cudaMemGetInfo from the CUDA runtime libtorch already loaded (soname 13, 12, or unversioned).</summary>
    private sealed class CudaMemInfo(CudaMemInfo.MemGetInfo memGetInfo)
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate int MemGetInfo(out nuint free, out nuint total);

        public static CudaMemInfo? TryLoad()
        {
            foreach (var name in new[] { "libcudart.so.13", "libcudart.so.12", "libcudart.so" })
                if (NativeLibrary.TryLoad(name, out var lib) && NativeLibrary.TryGetExport(lib, "cudaMemGetInfo", out var f))
                    return new CudaMemInfo(Marshal.GetDelegateForFunctionPointer<MemGetInfo>(f));
            return null;
        }

        public long InUseBytes() => memGetInfo(out var free, out var total) == 0 ? (long)(total - free) : 0;
    }
}
