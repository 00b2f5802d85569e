// Target names (lower-case letters, digits, hyphens) and blob file names that must not escape their prefix.
using System.Text.RegularExpressions;

namespace Pipeline.Shared.Targets;

public static partial class TargetName
{
    public const int MaxLength = 63;

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex Pattern();

    /// <summary>Null when <paramref name="target"/> is a valid target name, else the reason it is not.</summary>
    public static string? Problem(string? target)
    {
        if (string.IsNullOrEmpty(target)) return "target name is empty";
        if (target.Length > MaxLength) return $"target name '{target}' is longer than {MaxLength} characters";
        if (!Pattern().IsMatch(target))
            return $"target name '{target}' must be lower-case letters, digits and hyphens, starting and ending with a letter or digit";
        return null;
    }

    public static string Validate(string? target) =>
        Problem(target) is { } p ? throw new ArgumentException(p, nameof(target)) : target!;

    /// <summary>Null when <paramref name="name"/> is a safe relative blob name under a prefix, else the reason.</summary>
    public static string? FileNameProblem(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "file name is empty";
        if (name.Length > 512) return "file name is longer than 512 characters";
        if (name.StartsWith('/') || name.StartsWith('\\')) return $"file name '{name}' is an absolute path";
        if (name.Any(c => char.IsControl(c))) return "file name contains control characters";
        if (name.Contains('\\')) return $"file name '{name}' contains a backslash";
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0) return $"file name '{name}' has an empty path segment";
            if (segment is "." or "..") return $"file name '{name}' tries to leave its folder ('{segment}')";
        }
        return null;
    }

    public static string ValidateFileName(string? name) =>
        FileNameProblem(name) is { } p ? throw new ArgumentException(p, nameof(name)) : name!;
}
