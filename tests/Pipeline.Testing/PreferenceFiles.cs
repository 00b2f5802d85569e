// Test helpers: validate in-memory files and build rows in each schema.
using System.Text;
using System.Text.Json;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Targets;
using Xunit;

namespace Pipeline.Testing;

public static class PreferenceFiles
{
    public static string Standard(string prompt, string chosen, string rejected, string? system = null) =>
        JsonSerializer.Serialize(system is null
            ? new Dictionary<string, string> { ["prompt"] = prompt, ["chosen"] = chosen, ["rejected"] = rejected }
            : new Dictionary<string, string> { ["system"] = system, ["prompt"] = prompt, ["chosen"] = chosen, ["rejected"] = rejected });

    public static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    public static string Pairs(int n, int offset = 0) =>
        Lines(Enumerable.Range(offset, n).Select(i => Standard($"Question {i}?", $"Good answer {i}.", $"Bad answer {i}.")).ToArray());

    public static Task<ValidationResult> Validate(string content, string name = "data.jsonl", TargetProfile? profile = null,
        DatasetSinks? sinks = null, ValidationSettings? settings = null) =>
        Validate(Encoding.UTF8.GetBytes(content), name, profile, sinks, settings);

    public static Task<ValidationResult> Validate(byte[] content, string name = "data.jsonl", TargetProfile? profile = null,
        DatasetSinks? sinks = null, ValidationSettings? settings = null) =>
        Validate(new MemoryStream(content), name, profile, sinks, settings);

    public static Task<ValidationResult> Validate(Stream content, string name, TargetProfile? profile = null,
        DatasetSinks? sinks = null, ValidationSettings? settings = null)
    {
        settings ??= new ValidationSettings();
        if (profile is not null) settings = settings with { Profile = profile };
        return DatasetValidator.ValidateAsync(content, name, settings, sinks ?? DatasetSinks.None, CancellationToken.None);
    }

    public static Rejection Only(ValidationReport report) => Assert.Single(report.Rejections);
}
