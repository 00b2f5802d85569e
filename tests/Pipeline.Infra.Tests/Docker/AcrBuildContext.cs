// What `az acr build --file DOCKERFILE SOURCE` uploads: the rules of the Azure CLI's source packing (azure-cli
// acr/_archive_utils.py, _pack_source_code), restated in C# so a test can build the exact context from a checkout.
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Infra.Tests.Docker;

/// <summary>One regular file of the context: its path in the archive ('/'-separated) and size.</summary>
public sealed record ContextFile(string Path, string FullPath, long Bytes);

public sealed record AcrBuildContext(IReadOnlyList<ContextFile> Files, string? IgnoreFile, long CompressedBytes)
{
    /// <summary>Top-level names the CLI always leaves out, whatever the ignore file says.</summary>
    private static readonly HashSet<string> VcsNames = [".git", ".gitignore", ".bzr", "bzrignore", ".hg", ".hgignore", ".svn"];

    public long Bytes => Files.Sum(f => f.Bytes);

    /// <summary>Packs <paramref name="source"/> as the CLI does. The ignore file is SOURCE/{dockerfile name}.dockerignore
    /// when the Dockerfile is not called "Dockerfile" and that file exists, else SOURCE/.dockerignore (an override ignores
    /// itself). Rules later in the file win; a directory's rule applies to its children unless a rule of higher priority
    /// matches them. The Dockerfile itself is added apart, under a generated name, and is not listed here.</summary>
    public static AcrBuildContext Pack(string source, string dockerfilePath)
    {
        var (rules, ignoreFile) = LoadRules(source, Path.GetFileName(dockerfilePath));
        var files = new List<ContextFile>();
        Walk(source, "", parentIgnored: false, parentRule: rules?.Count ?? 0, rules, files);
        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new AcrBuildContext(files, ignoreFile, CompressedSize(files, dockerfilePath));
    }

    /// <summary>The image tag the postprovision hooks derive from this context: SHA-256 over the sorted lines
    /// "{sha256 of file}  {path}\n" of every file sent plus the Dockerfile, first 16 hex digits.</summary>
    public string ContentTag(string dockerfileRelativePath, string dockerfileFullPath)
    {
        var entries = Files.Select(f => (f.Path, f.FullPath)).Append((dockerfileRelativePath, dockerfileFullPath))
            .OrderBy(e => e.Item1, StringComparer.Ordinal);
        var list = new StringBuilder();
        foreach (var (path, full) in entries)
            list.Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(full)))).Append("  ").Append(path).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(list.ToString())))[..16];
    }

    private sealed record Rule(string Text, Regex Pattern, bool Ignore);

    private static (List<Rule>? Rules, string? File) LoadRules(string source, string dockerfileName)
    {
        var file = Path.Combine(source, ".dockerignore");
        var isOverride = false;
        if (dockerfileName != "Dockerfile" && File.Exists(Path.Combine(source, dockerfileName + ".dockerignore")))
            (file, isOverride) = (Path.Combine(source, dockerfileName + ".dockerignore"), true);
        if (!File.Exists(file)) return (null, null);

        // Highest priority first: each line read goes to the front.
        var rules = new List<Rule>();
        if (isOverride) rules.Add(ParseRule(".dockerignore"));
        foreach (var line in File.ReadAllLines(file))
        {
            var rule = line.TrimEnd();
            if (rule.Length == 0 || rule.StartsWith('#')) continue;
            rules.Insert(0, ParseRule(rule));
        }
        return (rules, file);
    }

    private static Rule ParseRule(string text)
    {
        var rule = text;
        var ignore = true;
        if (rule.StartsWith('!'))
        {
            // Only exceptions lose a leading and trailing '/'; an ignore rule ending in '/' matches nothing.
            ignore = false;
            rule = rule[1..].TrimStart('/').TrimEnd('/');
        }
        var pattern = new StringBuilder("^");
        var tokens = rule.Split('/');
        for (var i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] == "**") { pattern.Append(".*"); continue; }  // '**/' is read as '**'
            pattern.Append(tokens[i].Replace(".", "\\.").Replace("*", "[^/]*").Replace("?", "[^/]"));
            if (i < tokens.Length - 1) pattern.Append('/');
        }
        pattern.Append('$');
        return new Rule(text, new Regex(pattern.ToString(), RegexOptions.CultureInvariant), ignore);
    }

    private static void Walk(string fullPath, string name, bool parentIgnored, int parentRule, List<Rule>? rules, List<ContextFile> files)
    {
        var (ignored, rule) = Check(name, parentIgnored, parentRule, rules);
        var info = new FileInfo(fullPath);
        var isLink = info.LinkTarget is not null;
        var isDirectory = !isLink && Directory.Exists(fullPath);
        if (!ignored && !isDirectory && !isLink && name.Length > 0)
            files.Add(new ContextFile(name, fullPath, info.Length));
        // Children of an ignored directory are still looked at: an exception may bring them back.
        if (!isDirectory) return;
        foreach (var child in Directory.EnumerateFileSystemEntries(fullPath))
            Walk(child, name.Length == 0 ? Path.GetFileName(child) : name + "/" + Path.GetFileName(child), ignored, rule, rules, files);
    }

    private static (bool Ignored, int Rule) Check(string name, bool parentIgnored, int parentRule, List<Rule>? rules)
    {
        if (VcsNames.Contains(name)) return (true, parentRule);
        if (rules is null) return (parentIgnored, parentRule);
        for (var i = 0; i < parentRule && i < rules.Count; i++)
            if (rules[i].Pattern.IsMatch(name))
                return (rules[i].Ignore, i);
        return (parentIgnored, parentRule);
    }

    /// <summary>Size of the .tar.gz the CLI uploads (files, then the Dockerfile; directory entries left out).</summary>
    private static long CompressedSize(IReadOnlyList<ContextFile> files, string dockerfilePath)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files) tar.WriteEntry(file.FullPath, file.Path);
            tar.WriteEntry(dockerfilePath, "dockerfile_" + Path.GetFileName(dockerfilePath));
        }
        return buffer.Length;
    }
}
