// The front door and its reference pages stay true: every link the README gives leads to a file, and the example
// target profile in docs/configuration.md is one the code accepts, with the values it shows.
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
    public void Example_target_profile_in_the_configuration_page_parses_and_its_orpo_settings_validate()
    {
        var page = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "configuration.md"));
        var json = Regex.Match(page, "```json\\n(\\{\\n  \"eval_share\".*?)\\n```", RegexOptions.Singleline).Groups[1].Value;

        var profile = TargetProfile.Parse(json, "docs/configuration.md");

        Assert.Equal("base-models/support-agent-tiny", profile.Training.BaseModel);
        Assert.Equal(TrainingStrategies.FromLatest, profile.Training.Strategy);
        Assert.Equal(2, profile.Training.DebounceSeconds);
        Assert.Equal(40, profile.Training.Orpo!.MaxSteps);
    }

    [Fact]
    public void Every_relative_link_of_the_readme_and_the_docs_leads_to_a_file()
    {
        var pages = Directory.GetFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md").Append(Path.Combine(RepoPaths.Root, "README.md"));
        var broken = new List<string>();
        foreach (var page in pages)
            foreach (Match link in Regex.Matches(File.ReadAllText(page), @"\]\(([^)#:]+)(#[^)]*)?\)"))
                if (!File.Exists(Path.Combine(Path.GetDirectoryName(page)!, link.Groups[1].Value)))
                    broken.Add($"{Path.GetFileName(page)}: {link.Groups[1].Value}");

        Assert.Empty(broken);
    }
}
