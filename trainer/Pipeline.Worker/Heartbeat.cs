// The container health check's heartbeat: a file whose modification time says the worker is alive (polling or
// reporting a run). Touched at most every few seconds; a failure to touch never stops the worker.
namespace Pipeline.Worker;

public sealed class Heartbeat(string? path)
{
    private static readonly long MinIntervalMs = 5_000;
    private long _lastTicks = long.MinValue / 2;

    public void Touch()
    {
        if (path is null) return;
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastTicks) < MinIntervalMs) return;
        Interlocked.Exchange(ref _lastTicks, now);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            File.WriteAllText(path, DateTimeOffset.UtcNow.ToString("O"));
        }
        catch (IOException)
        {
            // The health check sees a stale file and says so; the worker itself carries on.
        }
        catch (UnauthorizedAccessException)
        {
            // Same: a read-only or missing mount is the health check's to report.
        }
    }
}
