// Debian's Chromium, headless, for tests that check a page as a browser draws it: installed with apt-get when missing
// and the tests run as root, driven over the DevTools protocol (one WebSocket) to load a page, evaluate script in it
// and take a screenshot. Where it cannot be had, Unavailable says why, so a test can skip with that reason.
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pipeline.Testing.Browser;

public sealed partial class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    // The flags that work on these machines: no sandbox as root, no GPU, and nothing that reaches the (closed) network.
    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--remote-debugging-port=0",
    ];

    private static readonly Lazy<string?> WhyUnavailable = new(Install);

    private readonly Process _process;
    private readonly TempDir _profile;
    private readonly ClientWebSocket _socket;
    private int _nextId;

    private HeadlessChromium(Process process, TempDir profile, ClientWebSocket socket) => (_process, _profile, _socket) = (process, profile, socket);

    /// <summary>Why no Chromium can run here (null when it can). The first call installs it when missing and root.</summary>
    public static string? Unavailable => WhyUnavailable.Value;

    public static async Task<HeadlessChromium> StartAsync(CancellationToken ct)
    {
        if (Unavailable is { } why) throw new InvalidOperationException(why);
        var profile = new TempDir("chromium-profile-");
        var psi = new ProcessStartInfo(Executable) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var flag in Flags) psi.ArgumentList.Add(flag);
        psi.ArgumentList.Add($"--user-data-dir={profile.Path}");
        psi.ArgumentList.Add("about:blank");
        var process = Process.Start(psi)!;
        _ = process.StandardOutput.ReadToEndAsync(ct);
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" names the port it chose.
        var stderr = new StringBuilder();
        int? port = null;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            while (port is null && await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                stderr.AppendLine(line);
                if (DevToolsLine().Match(line) is { Success: true } m) port = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        if (port is null)
        {
            process.Kill(entireProcessTree: true);
            profile.Dispose();
            throw new InvalidOperationException($"{Executable} did not start its DevTools endpoint: {stderr}");
        }
        _ = DrainAsync(process.StandardError);
        using var http = new HttpClient();
        var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list", ct))!.AsArray();
        var page = targets.First(t => t!["type"]!.GetValue<string>() == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(page), ct);
        var browser = new HeadlessChromium(process, profile, socket);
        await browser.SendAsync("Page.enable", null, ct);
        return browser;
    }

    /// <summary>Loads <paramref name="path"/> (a local file) at the given viewport width and waits for its load event.</summary>
    public async Task OpenAsync(string path, int width, int height, CancellationToken ct)
    {
        await SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false }, ct);
        await SendAsync("Page.navigate", new JsonObject { ["url"] = new Uri(Path.GetFullPath(path)).AbsoluteUri }, ct);
        await WaitForEventAsync("Page.loadEventFired", ct);
    }

    /// <summary>The value of a script expression evaluated in the page (returned by value, as JSON).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression, CancellationToken ct)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true }, ct);
        if (result["exceptionDetails"] is { } error) throw new InvalidOperationException($"script failed in the page: {error.ToJsonString()}");
        return result["result"]?["value"];
    }

    /// <summary>A PNG of the whole page (beyond the viewport).</summary>
    public async Task<byte[]> ScreenshotAsync(CancellationToken ct)
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true }, ct);
        return Convert.FromBase64String(result["data"]!.GetValue<string>());
    }

    private readonly List<string> _events = [];

    private async Task<JsonNode> SendAsync(string method, JsonObject? parameters, CancellationToken ct)
    {
        var id = ++_nextId;
        var message = new JsonObject { ["id"] = id, ["method"] = method };
        if (parameters is not null) message["params"] = parameters;
        await _socket.SendAsync(new ArraySegment<byte>(Encoding.UTF8.GetBytes(message.ToJsonString())), WebSocketMessageType.Text, true, ct);
        while (true)
        {
            var reply = await ReceiveAsync(ct);
            if (reply["id"]?.GetValue<int>() != id) continue;
            if (reply["error"] is { } error) throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
            return reply["result"]!;
        }
    }

    private async Task WaitForEventAsync(string name, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (!_events.Remove(name)) await ReceiveAsync(timeout.Token);
    }

    // One whole message; events are remembered by name for WaitForEventAsync.
    private async Task<JsonNode> ReceiveAsync(CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        WebSocketReceiveResult part;
        do
        {
            part = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer), ct);
            if (part.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("Chromium closed the DevTools connection");
            message.Write(buffer, 0, part.Count);
        } while (!part.EndOfMessage);
        var node = JsonNode.Parse(message.ToArray())!;
        if (node["method"]?.GetValue<string>() is { } method) _events.Add(method);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); }
        catch (WebSocketException) { }
        _socket.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { _profile.Dispose(); }
        catch (IOException) { }
    }

    private static async Task DrainAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is not null) { }
    }

    // Installs Debian's chromium when it is missing and this process may (root, apt-get present); else says why not.
    private static string? Install()
    {
        if (File.Exists(Executable)) return null;
        if (!OperatingSystem.IsLinux()) return $"{Executable} is missing and this is not Linux (the tests use Debian's chromium package)";
        if (Environment.UserName != "root") return $"{Executable} is missing and the tests do not run as root, so `apt-get install chromium` cannot run";
        if (!File.Exists("/usr/bin/apt-get")) return $"{Executable} is missing and there is no apt-get to install Debian's chromium package";
        Console.WriteLine($"[HeadlessChromium] {Executable} is missing: installing Debian's chromium package with apt-get");
        var (code, output) = AptGet("install", "-y", "--no-install-recommends", "chromium");
        if (code != 0)
        {
            AptGet("update");
            (code, output) = AptGet("install", "-y", "--no-install-recommends", "chromium");
        }
        if (code == 0 && File.Exists(Executable)) return null;
        var tail = string.Join("\n", output.Split('\n').TakeLast(5));
        return $"{Executable} is missing and `apt-get install -y chromium` failed (exit {code}): {tail}";
    }

    private static (int Code, string Output) AptGet(params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/apt-get") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out after 10 minutes");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }

    [GeneratedRegex(@"DevTools listening on ws://127\.0\.0\.1:(\d+)/")]
    private static partial Regex DevToolsLine();
}
