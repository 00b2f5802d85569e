// OrpoConfig: TRL names and defaults, command-line overrides, unknown keys and bad values rejected with the source named.
using Pipeline.Shared.Orpo;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;

namespace Pipeline.Training.Tests.Trainer;

public sealed class OrpoConfigTests
{
    [Fact]
    public void Defaults_are_those_of_TRL_ORPOConfig()
    {
        var c = OrpoConfig.Load(null);
        Assert.Equal(0.1, c.Beta);
        Assert.Equal(1e-6, c.LearningRate);
        Assert.Equal(8, c.PerDeviceTrainBatchSize);
        Assert.Equal(1, c.GradientAccumulationSteps);
        Assert.Equal(3.0, c.NumTrainEpochs);
        Assert.Equal(-1, c.MaxSteps);
        Assert.Equal(1024, c.MaxLength);
        Assert.Equal("linear", c.LrSchedulerType);
        Assert.Equal(1.0, c.MaxGradNorm);
        Assert.Equal(42, c.Seed);
    }

    [Fact]
    public void Reads_a_TRL_config_file_and_applies_command_line_overrides_on_top()
    {
        var path = Path.Combine(TrainingFixture.TempDir(), "orpo.json");
        File.WriteAllText(path, """{"beta": 0.25, "learning_rate": 8e-6, "lr_scheduler_type": "cosine", "warmup_ratio": 0.1, "bf16": false}""");

        var c = OrpoConfig.Load(path, new Dictionary<string, string> { ["learning_rate"] = "5e-5", ["max_steps"] = "12", ["lr_scheduler_type"] = "constant" });

        Assert.Equal(0.25, c.Beta);
        Assert.Equal(5e-5, c.LearningRate);
        Assert.Equal(12, c.MaxSteps);
        Assert.Equal("constant", c.LrSchedulerType);
        Assert.Equal(0.1, c.WarmupRatio);
    }

    [Fact]
    public void Accepts_gradient_checkpointing_and_bf16_with_use_peft_the_configuration_LoRA_users_run()
    {
        var path = Path.Combine(TrainingFixture.TempDir(), "orpo.json");
        File.WriteAllText(path, """{"bf16": true, "use_peft": true, "gradient_checkpointing": true, "lora_r": 16}""");

        var c = OrpoConfig.Load(path);

        Assert.True(c.Bf16 && c.UsePeft && c.GradientCheckpointing);
        Assert.Empty(c.Problems());
        Assert.False(new OrpoConfig().GradientCheckpointing); // transformers' default
    }

    [Fact]
    public void Rejects_unknown_keys_naming_the_file_and_the_key()
    {
        var path = Path.Combine(TrainingFixture.TempDir(), "orpo.json");
        File.WriteAllText(path, """{"beta": 0.1, "learning_rat": 1e-5}""");
        var e = Assert.Throws<InvalidDataException>(() => OrpoConfig.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("learning_rat", e.Message);
    }

    [Fact]
    public void Rejects_invalid_values_with_every_reason()
    {
        var e = Assert.Throws<InvalidDataException>(() => OrpoConfig.Load(null,
            new Dictionary<string, string> { ["beta"] = "0", ["lr_scheduler_type"] = "cubic", ["per_device_train_batch_size"] = "0" }));
        Assert.Contains("beta must be > 0", e.Message);
        Assert.Contains("cubic", e.Message);
        Assert.Contains("per_device_train_batch_size", e.Message);
    }
}
