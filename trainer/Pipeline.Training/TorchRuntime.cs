// Process-wide TorchSharp setup: pick the device (CUDA when present, else CPU), the CPU thread count, and a fixed glibc
// mmap threshold. OrpoTrainer gives a step's freed heap back to the OS before the next step (TrimHeap), so RSS between
// steps stays at RSS after setup. Large tensors page-fault in on every allocation unless glibc backs them with huge
// pages: `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, read at process start, set by ./run and the trainer image.
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

public static class TorchRuntime
{
    /// <summary>Allocations at least this large are mmap'ed (and unmapped on free) instead of carved from the heap.</summary>
    /// <remarks>
    /// 16 MiB, measured 2026-12-06 on the Qwen2.5-0.5B shape, LoRA, bf16 + checkpointing, 2 threads, with
    /// glibc.malloc.hugetlb=1 and the heap trimmed after each step (`./run bench real-size --models qwen2.5-0.5b
    /// --modes lora`, the threshold varied by hand): 4 MiB 27-32 s/step (52-60 CPU s), peak RSS 2.56 GB; 8 MiB 24 s
    /// (46), 3.04 GB; 16 MiB 22-23 s (43-44), 2.90 GB; 32 MiB 21-23 s (41-45), 3.36 GB; glibc's dynamic threshold 21 s
    /// (40-41), 3.52 GB. RSS between steps was 1.42-1.43 GB (after load 1.38) in every case. Without huge pages every
    /// fresh mmap is faulted in 4 KiB at a time: 4 MiB then took 89 s/step (174 CPU s), and the kernel's share of the
    /// process's CPU time was 162 of 422 s.
    /// </remarks>
    public const int DefaultMmapThresholdBytes = 16 << 20;

    private const int M_MMAP_THRESHOLD = -3; // glibc malloc.h

    /// <summary>"cuda", "cuda:N" or "cpu"; null or "auto" picks CUDA when available.</summary>
    public static Device ChooseDevice(string? requested = null)
    {
        if (string.IsNullOrEmpty(requested) || requested == "auto")
            return cuda.is_available() ? CUDA : CPU;
        if (requested.StartsWith("cuda", StringComparison.Ordinal) && !cuda.is_available())
            throw new InvalidOperationException($"device '{requested}' requested but CUDA is not available in this build or machine.");
        return new Device(requested);
    }

    /// <summary>Sets intra-op threads (default: all cores) and, on glibc, a fixed mmap threshold. Call once at start.</summary>
    public static void Configure(int? threads = null, int mmapThresholdBytes = DefaultMmapThresholdBytes)
    {
        var n = threads ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n, nameof(threads));
        torch.set_num_threads(n);
        // glibc raises its mmap threshold each time a large block is freed, up to 32 MiB: a fixed one keeps the peak
        // lower for the same speed (see DefaultMmapThresholdBytes).
        if (OperatingSystem.IsLinux() && mmapThresholdBytes > 0)
            Mallopt(M_MMAP_THRESHOLD, mmapThresholdBytes);
    }

    /// <summary>Resident set size of this process in bytes (Linux /proc; elsewhere the working set).</summary>
    public static long ResidentBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        return Environment.WorkingSet;
    }

    /// <summary>
    /// Starts a new peak-RSS window: Linux resets VmHWM to the current RSS when "5" is written to /proc/self/clear_refs.
    /// False where that is not possible (not Linux, or not permitted): the peak then counts from the process's start.
    /// </summary>
    public static bool ResetPeakResident()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Peak resident set size since the process started or <see cref="ResetPeakResident"/> (Linux VmHWM).</summary>
    public static long PeakResidentBytes()
    {
        if (OperatingSystem.IsLinux())
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return Environment.WorkingSet;
    }

    /// <summary>Gives freed heap memory back to the OS (glibc malloc_trim); a no-op elsewhere.</summary>
    public static void TrimHeap()
    {
        if (OperatingSystem.IsLinux())
            MallocTrim(0);
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);
}
