// Where the repository, its node tools and the team's shared test data are, found from the test binary's folder.
namespace Pipeline.Testing;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>`../shared/testdata` beside the checkout (read-only outside truth).</summary>
    public static string SharedTestData
    {
        get
        {
            var dir = Path.GetFullPath(Path.Combine(Root, "..", "shared", "testdata"));
            if (!Directory.Exists(dir))
                throw new DirectoryNotFoundException($"Shared test data not found at {dir} (expected beside the checkout).");
            return dir;
        }
    }

    public static string TinyLlama => Path.Combine(SharedTestData, "tiny-llama");

    public static string NodeBin(string tool) => Path.Combine(Root, "node_modules", ".bin", tool);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"No Pipeline.sln above {AppContext.BaseDirectory}.");
    }
}
