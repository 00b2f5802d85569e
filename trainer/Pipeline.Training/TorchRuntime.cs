// Process-wide TorchSharp setup: pick the device (CUDA when present, else CPU), the CPU thread count, and a fixed
// glibc mmap threshold so freed tensor memory goes back to the OS and RSS stays flat across training steps.
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

public static class TorchRuntime
{
    /// <summary>Allocations at least this large are mmap'ed (and unmapped on free) instead of carved from the heap.</summary>
    /// <remarks>
    /// 4 MiB, measured 2026-11-27 (`./run bench model-step --skip-pytorch --mmap-threshold N`, 2 cores): every fresh mmap is
    /// page-faulted in again, and 1 MiB sent most activations through one (h256/L4: 796k faults, 4.17 CPU s/step; h512/L8:
    /// 11.4 s). 4 MiB: 653k faults, 3.73 s; h512 9.7 s, peak RSS 1746 vs 1644 MiB, tiny-preset RSS +13 MiB over 190 steps
    /// (1 MiB: +47). 8-32 MiB were no faster at h256 and raised h512's peak RSS to 2.5-2.8 GiB.
    /// </remarks>
    public const int DefaultMmapThresholdBytes = 4 << 20;

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
        // glibc raises its mmap threshold each time a large block is freed, so later tensors come from the heap and
        // fragment it: RSS then creeps a few MB per step without any leak. A fixed threshold turns that off.
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
