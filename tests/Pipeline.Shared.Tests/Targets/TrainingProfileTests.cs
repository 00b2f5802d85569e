using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Tests.Targets;

public sealed class TrainingProfileTests
{
    [Fact]
    public void Reads_the_training_section_with_trl_names_gate_and_strategy()
    {
        var profile = TargetProfile.Parse("""
            {"eval_share": 0.2,
             "training": {"base_model": "base-models/llama", "orpo": {"beta": 0.2, "use_peft": true, "lora_r": 8},
                          "gate": {"max_reward_accuracy_drop": 0.01, "max_eval_loss_increase": 0.1},
                          "strategy": "from_base", "debounce_seconds": 30}}
            """, "config/targets/agent.json");

        Assert.Equal("base-models/llama", profile.Training.BaseModel);
        Assert.Equal(0.2, profile.Training.Orpo!.Beta);
        Assert.Equal((true, 8), (profile.Training.Orpo.UsePeft, profile.Training.Orpo.LoraR));
        Assert.Equal(0.01, profile.Training.Gate.MaxRewardAccuracyDrop);
        Assert.Equal(TrainingStrategies.FromBase, profile.Training.Strategy);
        Assert.Equal(30, profile.Training.DebounceSeconds);
    }

    [Fact]
    public void A_profile_without_a_training_section_gets_defaults()
    {
        var profile = TargetProfile.Parse("{}", "config/targets/agent.json");
        Assert.Null(profile.Training.BaseModel);
        Assert.Equal(TrainingStrategies.FromLatest, profile.Training.Strategy);
        Assert.Equal(0.02, profile.Training.Gate.MaxRewardAccuracyDrop);
    }

    [Theory]
    [InlineData("""{"training": {"base_modle": "x"}}""", "base_modle")]
    [InlineData("""{"training": {"strategy": "sometimes"}}""", "training.strategy 'sometimes'")]
    [InlineData("""{"training": {"debounce_seconds": 30, "debounce_max_seconds": 10}}""", "training.debounce_max_seconds must be between debounce_seconds (30)")]
    [InlineData("""{"training": {"debounce_seconds": 864000}}""", "training.debounce_seconds must be at most 86400")]
    [InlineData("""{"training": {"gate": {"max_eval_loss_increase": -1}}}""", "training.gate.max_eval_loss_increase")]
    [InlineData("""{"training": {"orpo": {"bta": 0.2}}}""", "bta")]
    [InlineData("""{"training": {"orpo": {"beta": -1, "lr_scheduler_type": "sometimes"}}}""", "training.orpo.beta must be > 0; training.orpo.lr_scheduler_type 'sometimes'")]
    public void Rejects_an_unknown_key_or_a_bad_value_in_the_training_section_naming_it(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => TargetProfile.Parse(json, "config/targets/agent.json"));
        Assert.Contains("config/targets/agent.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void The_debounce_cap_defaults_to_ten_windows_and_stays_out_of_the_profile_hash_until_set()
    {
        var plain = TargetProfile.Parse("""{"training": {"debounce_seconds": 3}}""", "p.json");
        var capped = TargetProfile.Parse("""{"training": {"debounce_seconds": 3, "debounce_max_seconds": 60}}""", "p.json");

        Assert.Equal(TimeSpan.FromSeconds(30), plain.Training.DebounceMax);
        Assert.Equal(TimeSpan.FromSeconds(60), capped.Training.DebounceMax);
        Assert.DoesNotContain("debounce_max_seconds", plain.ToJson());
        Assert.NotEqual(Pipeline.Shared.Storage.TargetProfileStore.Hash(plain), Pipeline.Shared.Storage.TargetProfileStore.Hash(capped));
    }
}
