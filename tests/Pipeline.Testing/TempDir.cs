// A fresh folder under the system temp directory for one test (or one fixture), removed afterwards.
namespace Pipeline.Testing;

public sealed class TempDir(string prefix = "pipeline-model-test-") : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
