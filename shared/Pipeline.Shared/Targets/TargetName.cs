// The one validator of the names callers send: target names and the file names under a target (CLI, HTTP, blob path,
// queue message, profile). Patterns are anchored with \A and \z (`$` would let "abc\n" through) and ASCII-only, so a
// look-alike (trailing newline, Cyrillic letter, bidi control, zero-width space, percent-encoding) is refused, not stored.
using System.Text.RegularExpressions;

namespace Pipeline.Shared.Targets;

public static partial class TargetName
{
    public const int MaxLength = 63;

    /// <summary>Longest file name under a target (with its folders), and the most folders it may have.</summary>
    public const int MaxFileNameLength = 255;
    public const int MaxFileNameSegments = 8;

    /// <summary>Longest blob-relative path the pipeline writes itself (model version files).</summary>
    public const int MaxRelativePathLength = 512;

    [GeneratedRegex(@"\A[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex TargetPattern();

    // One '/'-separated part of a file name: ASCII letters, digits, '.', '_', '-'; starts with a letter, digit or '_'
    // (no hidden or dot files) and does not end with '.' (Windows drops a trailing dot: "a.jsonl." looks like "a.jsonl").
    [GeneratedRegex(@"\A[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex SegmentPattern();

    /// <summary>Null when <paramref name="target"/> is a valid target name, else the reason it is not.</summary>
    public static string? Problem(string? target)
    {
        if (string.IsNullOrEmpty(target)) return "target name is empty";
        if (target.Length > MaxLength) return $"target name '{Shown(target)}' is longer than {MaxLength} characters";
        if (!TargetPattern().IsMatch(target))
            return $"target name '{Shown(target)}' must be lower-case ASCII letters, digits and hyphens, starting and ending with a letter or digit";
        return null;
    }

    public static string Validate(string? target) =>
        Problem(target) is { } p ? throw new ArgumentException(p, nameof(target)) : target!;

    /// <summary>Null when <paramref name="name"/> is an acceptable file name under a target (incoming/, quarantine/, a
    /// profile's base-model folder), else the reason. Folders are allowed ("2026/11/pairs.jsonl").</summary>
    public static string? FileNameProblem(string? name)
    {
        if (StructureProblem(name, MaxFileNameLength) is { } structure) return structure;
        var segments = name!.Split('/');
        if (segments.Length > MaxFileNameSegments) return $"file name '{Shown(name)}' has more than {MaxFileNameSegments} folder levels";
        foreach (var segment in segments)
        {
            if (segment.Contains("..", StringComparison.Ordinal)) return $"file name '{Shown(name)}' has '..' in '{Shown(segment)}'";
            if (!SegmentPattern().IsMatch(segment))
                return $"file name '{Shown(name)}' must be ASCII letters, digits, '.', '_' and '-' in each '/'-separated part, " +
                       "each part starting with a letter, digit or '_' and not ending with '.'";
        }
        return null;
    }

    public static string ValidateFileName(string? name) =>
        FileNameProblem(name) is { } p ? throw new ArgumentException(p, nameof(name)) : name!;

    /// <summary>Null when <paramref name="path"/> is a safe relative blob path for files the pipeline writes itself
    /// (a model version's files keep their own names): no escape from its prefix, nothing invisible.</summary>
    public static string? RelativePathProblem(string? path) => StructureProblem(path, MaxRelativePathLength);

    public static string ValidateRelativePath(string? path) =>
        RelativePathProblem(path) is { } p ? throw new ArgumentException(p, nameof(path)) : path!;

    private static string? StructureProblem(string? name, int maxLength)
    {
        if (string.IsNullOrEmpty(name)) return "file name is empty";
        if (name.Length > maxLength) return $"file name is longer than {maxLength} characters";
        if (name.StartsWith('/') || name.StartsWith('\\')) return $"file name '{Shown(name)}' is an absolute path";
        // Control (Cc), format (Cf: bidi overrides, zero-width), surrogate, private-use and unassigned characters.
        if (name.Any(c => char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.Surrogate or System.Globalization.UnicodeCategory.PrivateUse or System.Globalization.UnicodeCategory.OtherNotAssigned))
            return "file name contains control or invisible characters";
        if (name.Contains('\\')) return $"file name '{Shown(name)}' contains a backslash";
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0) return $"file name '{Shown(name)}' has an empty path segment";
            if (segment is "." or "..") return $"file name '{Shown(name)}' tries to leave its folder ('{segment}')";
        }
        return null;
    }

    /// <summary>A name as shown in a message: at most 80 characters, invisible characters as \uXXXX escapes.</summary>
    private static string Shown(string name)
    {
        var cut = name.Length > 80 ? name[..80] + "..." : name;
        return string.Concat(cut.Select(c => c < 0x20 || c > 0x7E ? $"\\u{(int)c:X4}" : c.ToString()));
    }
}
