// The README is the front door: its example target profile must be one the code accepts, with the values it shows.
using System.Text.RegularExpressions;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Targets;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;

namespace Pipeline.Cli.Tests.Demo;

public sealed class ReadmeTests
{
    [Fact]
    public void Example_target_profile_in_the_readme_parses_and_its_orpo_settings_validate()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var json = Regex.Match(readme, "```json\\n(\\{\\n  \"eval_share\".*?)\\n```", RegexOptions.Singleline).Groups[1].Value;

        var profile = TargetProfile.Parse(json, "README.md");

        Assert.Equal("base-models/support-agent-tiny", profile.Training.BaseModel);
        Assert.Equal(TrainingStrategies.FromLatest, profile.Training.Strategy);
        Assert.Equal(2, profile.Training.DebounceSeconds);
        Assert.Equal(40, profile.Training.Orpo!.MaxSteps);
    }
}
