// SHA-256 of files and folders, lower-case hex: the identity of base models, checkpoints and version files.
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Shared.Storage;

public static class FileHash
{
    public static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    /// <summary>Hash of a folder: SHA-256 over "relative-path\0sha256\n" lines in ordinal order, so renames and edits both change it.</summary>
    public static async Task<string> FolderSha256Async(string folder, CancellationToken ct)
    {
        var lines = new StringBuilder();
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                     .Select(p => Path.GetRelativePath(folder, p).Replace('\\', '/'))
                     .Order(StringComparer.Ordinal))
            lines.Append(path).Append('\0').Append(await Sha256Async(Path.Combine(folder, path), ct)).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString())));
    }
}
