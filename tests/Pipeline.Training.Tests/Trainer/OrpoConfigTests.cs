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
        using var scratch = new TempDir();
        var path = scratch.File("orpo.json");
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
        using var scratch = new TempDir();
        var path = scratch.File("orpo.json");
        File.WriteAllText(path, """{"bf16": true, "use_peft": true, "gradient_checkpointing": true, "lora_r": 16}""");

        var c = OrpoConfig.Load(path);

        Assert.True(c.Bf16 == true && c.UsePeft && c.GradientCheckpointing);
        Assert.Empty(c.Problems());
        Assert.False(new OrpoConfig().GradientCheckpointing); // transformers' default
    }

    [Fact]
    public void Rejects_unknown_keys_naming_the_file_and_the_key()
    {
        using var scratch = new TempDir();
        var path = scratch.File("orpo.json");
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

public sealed class TrlConfigFileTests
{
    // A TRL user's ORPOConfig as they keep it: TrainingArguments keys with no effect here, ratios for the step keys,
    // all-linear, a transformers scheduler with its kwargs, learning_rate written as PyYAML reads it (a string).
    private const string Yaml = """
        # orpo.yaml
        output_dir: ./orpo-out
        report_to: none
        logging_dir: ./logs
        save_strategy: steps
        eval_strategy: steps
        optim: adamw_torch_fused
        dataloader_num_workers: 4
        beta: 0.2
        learning_rate: 5e-5
        lr_scheduler_type: cosine_with_min_lr
        lr_scheduler_kwargs:
          min_lr_rate: 0.1
        warmup_ratio: 0.1
        logging_steps: 0.1
        eval_steps: 0.25
        save_steps: 0.5
        gradient_checkpointing: true
        use_peft: true
        lora_target_modules: all-linear
        """;

    private static readonly string[] Ignored = ["output_dir", "report_to", "logging_dir", "save_strategy", "eval_strategy", "optim", "dataloader_num_workers"];

    [Fact]
    public void A_TRL_YAML_config_loads_as_it_is_with_one_warning_naming_each_key_without_effect()
    {
        using var scratch = new TempDir();
        var path = scratch.File("orpo.yaml");
        File.WriteAllText(path, Yaml);

        var c = OrpoConfig.Load(path);

        Assert.Equal(0.2, c.Beta);
        Assert.Equal(5e-5, c.LearningRate);
        Assert.Equal("cosine_with_min_lr", c.LrSchedulerType);
        Assert.Equal(0.1, c.LrSchedulerKwargs!["min_lr_rate"].GetDouble());
        Assert.True(c.GradientCheckpointing);
        Assert.Equal(["all-linear"], c.LoraTargetModules!);
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], c.Lora!.TargetModules);
        // Ratios of the total steps, rounded up as transformers does: 25 steps.
        Assert.Equal((3, 7, 13, 3), (c.EffectiveLoggingSteps(25), c.EffectiveEvalSteps(25), c.EffectiveSaveSteps(25), c.EffectiveWarmupSteps(25)));
        Assert.Equal(Ignored.Length, c.Warnings.Count);
        foreach (var key in Ignored)
            Assert.Single(c.Warnings, w => w.StartsWith($"{key} has no effect here", StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_config_as_JSON_loads_to_the_same_values()
    {
        using var scratch = new TempDir();
        var dir = scratch.Path;
        File.WriteAllText(Path.Combine(dir, "orpo.yaml"), Yaml);
        File.WriteAllText(Path.Combine(dir, "orpo.json"), """
            {"output_dir": "./orpo-out", "report_to": "none", "logging_dir": "./logs", "save_strategy": "steps", "eval_strategy": "steps",
             "optim": "adamw_torch_fused", "dataloader_num_workers": 4, "beta": 0.2, "learning_rate": 5e-5,
             "lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr_rate": 0.1}, "warmup_ratio": 0.1,
             "logging_steps": 0.1, "eval_steps": 0.25, "save_steps": 0.5, "gradient_checkpointing": true, "use_peft": true,
             "lora_target_modules": "all-linear"}
            """);
        var (yaml, json) = (OrpoConfig.Load(Path.Combine(dir, "orpo.yaml")), OrpoConfig.Load(Path.Combine(dir, "orpo.json")));
        Assert.Equal(yaml.ToJson(), json.ToJson());
        Assert.Equal(yaml.Warnings, json.Warnings);
    }

    [Theory]
    [InlineData("fp16: true", "fp16", "bf16")]
    [InlineData("optim: adafactor", "optim", "adamw_torch")]
    [InlineData("save_strategy: epoch", "save_strategy", "save_steps")]
    [InlineData("neftune_noise_alpha: 5", "neftune_noise_alpha", "remove the key")]
    [InlineData("load_best_model_at_end: true", "load_best_model_at_end", "eval")]
    [InlineData("logging_steps: 2.5", "logging_steps", "whole number")]
    [InlineData("lr_scheduler_type: cosine_with_min_lr", "lr_scheduler_type", "min_lr")]
    [InlineData("learning_rat: 1e-5", "learning_rat", "")]
    public void A_key_that_would_change_the_result_and_cannot_be_honoured_is_an_error_naming_it_and_the_alternative(string line, string key, string alternative)
    {
        using var scratch = new TempDir();
        var path = scratch.File("orpo.yml");
        File.WriteAllText(path, $"beta: 0.1\n{line}\n");
        var e = Assert.Throws<InvalidDataException>(() => OrpoConfig.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(key, e.Message);
        Assert.Contains(alternative, e.Message);
    }

    [Fact]
    public void A_YAML_syntax_error_names_the_file_and_line()
    {
        using var scratch = new TempDir();
        var path = scratch.File("orpo.yaml");
        File.WriteAllText(path, "beta: 0.1\nlearning_rate: [1e-5\n");
        var e = Assert.Throws<InvalidDataException>(() => OrpoConfig.Load(path));
        Assert.Contains($"{path}: line", e.Message);
    }

    [Fact]
    public void Defaults_follow_TrainingArguments_group_by_length_false_and_bf16_unset_for_the_hardware_to_resolve()
    {
        var c = OrpoConfig.Load(null);
        Assert.False(c.GroupByLength);
        Assert.Null(c.Bf16);
        Assert.Empty(c.Warnings);
        // save_strategy / eval_strategy "no" are honoured as steps 0 (never).
        Assert.Equal(0, OrpoConfig.Load(null, new Dictionary<string, string> { ["save_strategy"] = "no" }).EffectiveSaveSteps(100));
        Assert.Equal(0, OrpoConfig.Load(null, new Dictionary<string, string> { ["eval_strategy"] = "no" }).EffectiveEvalSteps(100));
    }
}
