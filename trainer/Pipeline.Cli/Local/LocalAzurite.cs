// Starts the repository's pinned Azurite (node_modules/.bin/azurite) on loopback, for the demo and the tests.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Pipeline.Cli.Local;

/// <summary>An Azurite process on 127.0.0.1 with its data in <see cref="Location"/>. Stop and Start again keep the
/// same ports and data, so a restart looks like a storage outage to clients.</summary>
public sealed class LocalAzurite : IDisposable
{
    // Azurite's published development account (not a secret).
    public const string Account = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string _executable;
    private Process? _process;

    public string Location { get; }
    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }

    public string ConnectionString => ConnectionStringFor(BlobPort, QueuePort, TablePort);

    public LocalAzurite(string executable, string location, int blobPort = 0, int queuePort = 0, int tablePort = 0)
    {
        _executable = executable;
        Location = location;
        BlobPort = blobPort == 0 ? FreePort() : blobPort;
        QueuePort = queuePort == 0 ? FreePort() : queuePort;
        TablePort = tablePort == 0 ? FreePort() : tablePort;
    }

    /// <summary>Finds node_modules/.bin/azurite in <paramref name="repoRoot"/>, or says how to install it.</summary>
    public static string FindExecutable(string repoRoot)
    {
        var path = Path.Combine(repoRoot, "node_modules", ".bin", "azurite");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Azurite is not installed at {path}. Run `./run demo` or `./run test` " +
                                            "from the repository root (they run `npm ci` first).", path);
        return path;
    }

    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/{Account};QueueEndpoint=http://127.0.0.1:{queuePort}/{Account};" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/{Account};";

    public bool IsRunning => _process is { HasExited: false };

    public void Start()
    {
        if (IsRunning) return;
        Directory.CreateDirectory(Location);
        var psi = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--skipApiVersionCheck", "--disableTelemetry", "--silent", "--loose",
                     "--location", Location,
                     "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(),
                     "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(),
                     "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(),
                 })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"{_executable} did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        try
        {
            WaitUntilListening(BlobPort);
            WaitUntilListening(QueuePort);
        }
        catch
        {
            // Nobody will own a half-started Azurite: stop it rather than leave a node process behind.
            Stop();
            throw;
        }
    }

    /// <summary>How long a start may take: under 2 s on a quiet machine, far longer on an overloaded one.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Stops Azurite with SIGTERM, so it flushes its metadata and keeps its data folder; kills it if it
    /// has not exited within 10 s.</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            if (OperatingSystem.IsWindows() || kill(_process.Id, SigTerm) != 0 || !_process.WaitForExit(10_000))
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        _process = null;
    }

    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void WaitUntilListening(int port)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before listening on 127.0.0.1:{port}.");
            if (IsListening(port)) return;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"Azurite did not listen on 127.0.0.1:{port} within {StartTimeout.TotalSeconds:0} s.");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => Stop();

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
