// A fresh folder under the system temp directory for one test (or one fixture), removed afterwards.
namespace Pipeline.Testing;

public sealed class TempDir(string prefix = "pipeline-model-test-") : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    private int _written;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes <paramref name="text"/> to a new numbered file (pairs-1.jsonl, pairs-2.jsonl ...) and returns its path.</summary>
    public string Write(string text, string name = "pairs", string extension = ".jsonl")
    {
        var path = File($"{name}-{Interlocked.Increment(ref _written)}{extension}");
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
