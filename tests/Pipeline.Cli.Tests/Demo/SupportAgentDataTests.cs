// The demo's synthetic support-agent data: deterministic, two disjoint batches, a learnable and valid signal.
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Targets;
using Pipeline.Cli.Demo;

namespace Pipeline.Cli.Tests.Demo;

public sealed class SupportAgentDataTests
{
    [Fact]
    public void Same_seed_gives_the_same_bytes()
    {
        var a = SupportAgentData.ToJsonl(SupportAgentData.Generate(1, 50));
        var b = SupportAgentData.ToJsonl(SupportAgentData.Generate(1, 50));
        Assert.Equal(a, b);
        Assert.NotEqual(a, SupportAgentData.ToJsonl(SupportAgentData.Generate(1, 50, seed: 7)));
    }

    [Fact]
    public void Files_hold_conversations_a_user_prompt_and_assistant_answers_as_the_warm_up_saw_them()
    {
        var pair = SupportAgentData.Generate(1, 1)[0];
        var line = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Encoding.UTF8.GetString(SupportAgentData.ToJsonl([pair])).TrimEnd('\n'))!;
        Assert.Equal("user", line["prompt"]![0]!["role"]!.GetValue<string>());
        Assert.Equal(pair.Prompt, line["prompt"]![0]!["content"]!.GetValue<string>());
        Assert.Equal(("assistant", pair.Chosen), (line["chosen"]![0]!["role"]!.GetValue<string>(), line["chosen"]![0]!["content"]!.GetValue<string>()));
        Assert.Equal(("assistant", pair.Rejected), (line["rejected"]![0]!["role"]!.GetValue<string>(), line["rejected"]![0]!["content"]!.GetValue<string>()));
    }

    [Fact]
    public void Second_batch_shares_no_prompt_with_the_first()
    {
        var first = SupportAgentData.Generate(1, 150);
        var second = SupportAgentData.Generate(2, 150);
        Assert.Equal(150, first.Select(p => p.Prompt).Distinct().Count());
        Assert.Empty(first.Select(p => p.Prompt).Intersect(second.Select(p => p.Prompt)));
    }

    [Fact]
    public void Chosen_answers_are_polite_and_rejected_ones_are_wrong_rude_or_off_policy()
    {
        var pairs = SupportAgentData.Generate(1, 300);
        Assert.All(pairs, p => Assert.NotEqual(p.Chosen, p.Rejected));
        // The learnable signal: every chosen answer thanks or helps the customer by name; no rejected one does.
        Assert.All(pairs, p => Assert.Contains(p.Prompt.Split(". ")[0].Split(' ')[^1], p.Chosen));
        Assert.All(pairs, p => Assert.DoesNotContain("help", p.Rejected, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(SupportAgentData.Flaws.All.Order(), pairs.Select(p => p.Flaw).Distinct().Order());
        foreach (var topic in new[] { "orders", "refunds", "passwords", "shipping", "returns", "billing", "account", "warranty" })
            Assert.Contains(pairs, p => p.Topic == topic);
    }

    [Fact]
    public async Task Generated_file_passes_the_ingestion_validator_without_a_rejection()
    {
        var bytes = SupportAgentData.ToJsonl(SupportAgentData.Generate(2, 120));
        var result = await DatasetValidator.ValidateAsync(new MemoryStream(bytes), "support-2.jsonl",
            new ValidationSettings { Profile = TargetProfile.Default }, new DatasetSinks(new MemoryStream(), new MemoryStream()), CancellationToken.None);

        Assert.True(result.Report.Usable, string.Join("; ", result.Report.FileProblems.Select(p => p.Message)));
        Assert.Equal(SchemaNames.Conversational, result.Report.Schema);
        Assert.Equal(120, result.Report.RowsAccepted);
        Assert.Equal(0, result.Report.RowsRejected);
    }

    [Fact]
    public void Third_batch_swaps_most_labels_and_the_first_two_swap_none()
    {
        var third = SupportAgentData.Generate(3, 200);

        Assert.All(SupportAgentData.Generate(1, 200).Concat(SupportAgentData.Generate(2, 200)), p => Assert.False(p.Swapped));
        var swapped = third.Count(p => p.Swapped);
        Assert.InRange(swapped, 150, 190); // 85% of 200, give or take the draw
        // A swapped pair holds the bad answer as chosen: the generator's own rule says so.
        Assert.All(third.Where(p => p.Swapped), p => Assert.False(SupportPolicy.Judge(p.Chosen).OnPolicy));
        Assert.All(third.Where(p => !p.Swapped), p => Assert.True(SupportPolicy.Judge(p.Chosen).OnPolicy));
        Assert.Empty(third.Select(p => p.Prompt).Intersect(SupportAgentData.Generate(2, 200).Select(p => p.Prompt)));
    }

    [Fact]
    public void Rejects_a_batch_number_outside_one_to_three() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SupportAgentData.Generate(4, 10));
}
