// A local stand-in for the Application Insights ingestion endpoint (POST /v2.1/track, gzip or plain JSON lines): it
// accepts every envelope and keeps it, so a test can read what an exporter sent. Loopback only.
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Pipeline.Testing;

public sealed class IngestionStandIn : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<JsonElement> _envelopes = [];
    private readonly Task _loop;

    public IngestionStandIn()
    {
        // Statsbeat would report to Microsoft's endpoint; tests talk to the stand-in only.
        Environment.SetEnvironmentVariable("APPLICATIONINSIGHTS_STATSBEAT_DISABLED", "true");
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    /// <summary>An Application Insights connection string that sends here.</summary>
    public string ConnectionString => $"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:{Port}/";

    public IReadOnlyList<JsonElement> Received()
    {
        lock (_envelopes) return [.. _envelopes];
    }

    /// <summary>Waits until an envelope matches <paramref name="predicate"/> (exporters send on their own schedule).</summary>
    public async Task<JsonElement?> WaitForAsync(Func<JsonElement, bool> predicate, TimeSpan timeout)
    {
        for (var until = DateTime.UtcNow + timeout; DateTime.UtcNow < until; await Task.Delay(100))
            if (Received().FirstOrDefault(predicate) is { ValueKind: JsonValueKind.Object } found) return found;
        return null;
    }

    public static string? Kind(JsonElement e) => e.GetProperty("data").GetProperty("baseType").GetString();

    public static string? OperationId(JsonElement e) =>
        e.GetProperty("tags").TryGetProperty("ai.operation.id", out var id) ? id.GetString() : null;

    public static string Message(JsonElement e) =>
        e.GetProperty("data").GetProperty("baseData").TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (!_listener.IsListening) { return; }
            Stream body = context.Request.InputStream;
            if (context.Request.Headers["Content-Encoding"] == "gzip") body = new GZipStream(body, CompressionMode.Decompress);
            var text = await new StreamReader(body, Encoding.UTF8).ReadToEndAsync();
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            lock (_envelopes)
                foreach (var line in lines) _envelopes.Add(JsonDocument.Parse(line).RootElement.Clone());
            var answer = Encoding.UTF8.GetBytes($"{{\"itemsReceived\":{lines.Length},\"itemsAccepted\":{lines.Length},\"errors\":[]}}");
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
