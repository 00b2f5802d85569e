// Starts the repository's pinned Azurite on free loopback ports with a temporary location, and stops it.
// Tests that use it are real integration tests: they run in CI and are never skipped.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Pipeline.Testing;

public sealed class AzuriteFixture : IAsyncDisposable, IDisposable
{
    // Azurite's published development account (not a secret).
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private Process? _process;
    private readonly string _location;

    public int BlobPort { get; private set; }
    public int QueuePort { get; private set; }
    public int TablePort { get; private set; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{Account};QueueEndpoint=http://127.0.0.1:{QueuePort}/{Account};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{Account};";

    public AzuriteFixture()
    {
        _location = Directory.CreateTempSubdirectory("azurite-").FullName;
        Start();
    }

    public BlobServiceClient BlobService() => new(ConnectionString);
    public QueueServiceClient QueueService() => new(ConnectionString);

    /// <summary>Starts Azurite (again, on the same ports and data folder after <see cref="Stop"/>).</summary>
    public void Start()
    {
        if (_process is { HasExited: false }) return;
        var azurite = RepoPaths.NodeBin("azurite");
        if (!File.Exists(azurite))
            throw new FileNotFoundException(
                $"Azurite is not installed at {azurite}. Run the README's test command (it runs `npm ci` first).");
        if (BlobPort == 0) (BlobPort, QueuePort, TablePort) = (FreePort(), FreePort(), FreePort());

        var psi = new ProcessStartInfo(azurite)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     "--skipApiVersionCheck", "--disableTelemetry", "--silent", "--loose",
                     "--location", _location,
                     "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(),
                     "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(),
                     "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(),
                 })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilListening(BlobPort);
        WaitUntilListening(QueuePort);
    }

    /// <summary>Stops Azurite, keeping its data folder (for restart-mid-run tests).</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        _process = null;
    }

    private void WaitUntilListening(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before listening on {port}.");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new TimeoutException($"Azurite did not listen on 127.0.0.1:{port} within 30 s.");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(_location, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
