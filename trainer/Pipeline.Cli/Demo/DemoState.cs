// The demo's local folder (.demo/): what a fresh run removes, what a --reuse run keeps, and where things go.
namespace Pipeline.Cli.Demo;

public sealed record DemoState(string Root)
{
    public string Azurite => Path.Combine(Root, "azurite");
    public string BaseModel => Path.Combine(Root, "base-model");
    public string Data => Path.Combine(Root, "data");
    public string Reports => Path.Combine(Root, "reports");
    public string Work => Path.Combine(Root, "work");

    /// <summary>Prepares the folder and says what happened: a fresh run removes the previous run's state (only the
    /// demo's own subfolders); a reuse run keeps it, so the same files are recognised as already ingested and trained.</summary>
    public string Prepare(bool reuse)
    {
        var existed = Directory.Exists(Root) && Directory.EnumerateFileSystemEntries(Root).Any();
        string note;
        if (!existed)
        {
            note = $"fresh run: state in {Root}";
        }
        else if (reuse)
        {
            note = $"reusing the previous run's state in {Root} (--reuse): files already ingested and trained are recognised, not trained again";
        }
        else
        {
            foreach (var dir in new[] { Azurite, BaseModel, Data, Reports, Work })
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            note = $"fresh run: removed the previous run's state in {Root} (pass --reuse to keep it)";
        }
        foreach (var dir in new[] { Root, Data, Reports, Work }) Directory.CreateDirectory(dir);
        return note;
    }
}
