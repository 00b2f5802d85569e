// The ORPOConfig / TrainingArguments / ModelConfig keys a TRL user's config holds that OrpoConfig has no property for:
// each is mapped onto ours (save_strategy "no" = save_steps 0), accepted with one warning naming it (it cannot change
// the trained weights here), or refused naming the key and the alternative (it would change them and is not supported).
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Shared.Orpo;

internal static class TrlKeys
{
    /// <summary>Keys that change nothing the run computes here, with the reason shown in the warning.</summary>
    private static readonly Dictionary<string, string> NoEffect = new(StringComparer.Ordinal)
    {
        ["output_dir"] = "the output folder is --output",
        ["overwrite_output_dir"] = "an output folder with checkpoints needs --resume or an empty folder",
        ["logging_dir"] = "TensorBoard events go to runs/ in the output folder",
        ["report_to"] = "metrics go to metrics.jsonl and TensorBoard events in the output folder",
        ["run_name"] = "the output folder names the run",
        ["logging_strategy"] = "logging is every logging_steps",
        ["logging_first_step"] = "logging is every logging_steps",
        ["logging_nan_inf_filter"] = "a non-finite loss stops the run or skips the step (skip_nonfinite_steps)",
        ["log_level"] = "the command line prints progress lines",
        ["log_level_replica"] = "one process trains",
        ["log_on_each_node"] = "one process trains",
        ["disable_tqdm"] = "the command line prints progress lines",
        ["do_train"] = "`train` trains",
        ["do_eval"] = "evaluation runs every eval_steps when there is eval data",
        ["do_predict"] = "`eval` and `generate` are separate commands",
        ["optim"] = "the optimizer is torch's AdamW (adamw_torch; adamw_torch_fused computes the same update)",
        ["save_strategy"] = "checkpoints are written every save_steps",
        ["save_safetensors"] = "weights are always written as safetensors",
        ["save_on_each_node"] = "one process trains",
        ["save_only_model"] = "checkpoints hold what resuming needs",
        ["eval_strategy"] = "evaluation runs every eval_steps",
        ["evaluation_strategy"] = "evaluation runs every eval_steps",
        ["eval_delay"] = "evaluation runs every eval_steps",
        ["eval_on_start"] = "evaluation runs every eval_steps",
        ["eval_accumulation_steps"] = "evaluation keeps only its sums on the device",
        ["eval_do_concat_batches"] = "evaluation keeps only its sums on the device",
        ["eval_use_gather_object"] = "one process trains",
        ["batch_eval_metrics"] = "the ORPO evaluation metrics are computed in batches",
        ["prediction_loss_only"] = "the ORPO evaluation metrics are always computed",
        ["include_for_metrics"] = "the ORPO evaluation metrics are fixed",
        ["include_inputs_for_metrics"] = "the ORPO evaluation metrics are fixed",
        ["include_tokens_per_second"] = "tokens_per_second is always logged",
        ["include_num_input_tokens_seen"] = "train_summary.json counts tokens",
        ["skip_memory_metrics"] = "peak memory is always measured",
        ["dataloader_num_workers"] = "batches are collated on the training thread",
        ["dataloader_pin_memory"] = "batches are collated on the training thread",
        ["dataloader_persistent_workers"] = "batches are collated on the training thread",
        ["dataloader_prefetch_factor"] = "batches are collated on the training thread",
        ["remove_unused_columns"] = "only prompt, chosen and rejected are read",
        ["label_names"] = "ORPO's labels are the completion tokens",
        ["length_column_name"] = "lengths are the tokenized pairs' own",
        ["dataset_num_proc"] = "tokenization runs in the training process",
        ["torch_empty_cache_steps"] = "the caching allocator is left alone",
        ["use_cpu"] = "the device is --device",
        ["no_cuda"] = "the device is --device",
        ["local_rank"] = "one process trains on one device",
        ["ddp_backend"] = "one process trains on one device",
        ["ddp_timeout"] = "one process trains on one device",
        ["ddp_find_unused_parameters"] = "one process trains on one device",
        ["ddp_bucket_cap_mb"] = "one process trains on one device",
        ["ddp_broadcast_buffers"] = "one process trains on one device",
        ["average_tokens_across_devices"] = "one process trains on one device",
        ["tpu_num_cores"] = "one process trains on one device",
        ["tpu_metrics_debug"] = "one process trains on one device",
        ["debug"] = "no debug modes",
        ["full_determinism"] = "runs are always deterministic (same seed, same bytes)",
        ["push_to_hub"] = "models are published to the pipeline's storage",
        ["hub_model_id"] = "models are published to the pipeline's storage",
        ["hub_strategy"] = "models are published to the pipeline's storage",
        ["hub_token"] = "models are published to the pipeline's storage",
        ["hub_private_repo"] = "models are published to the pipeline's storage",
        ["hub_always_push"] = "models are published to the pipeline's storage",
        ["resume_from_checkpoint"] = "pass --resume to continue from the latest checkpoint in --output",
        ["ignore_data_skip"] = "resuming recomputes the data order, it skips nothing",
        ["model_name_or_path"] = "the model is --model",
        ["model_revision"] = "the model is --model",
        ["trust_remote_code"] = "the model code is this pipeline's Llama",
        ["attn_implementation"] = "attention is computed exactly (the same result as eager or sdpa)",
        ["torch_compile"] = "TorchSharp runs eagerly",
        ["torch_compile_backend"] = "TorchSharp runs eagerly",
        ["torch_compile_mode"] = "TorchSharp runs eagerly",
        ["use_liger_kernel"] = "the loss is computed in chunks already, with the same result",
        ["gradient_checkpointing_kwargs"] = "gradient checkpointing recomputes each decoder layer",
        ["generate_during_eval"] = "`generate` samples completions of a trained model",
        ["label_pad_token_id"] = "padding is masked out of the loss by position",
        ["padding_value"] = "padding is masked out of the loss by position",
        ["model_init_kwargs"] = "the model is loaded from --model as stored",
        ["lora_task_type"] = "adapters are for CAUSAL_LM",
        ["auto_find_batch_size"] = "the batch size is per_device_train_batch_size",
        ["metric_for_best_model"] = "no best checkpoint is selected",
        ["greater_is_better"] = "no best checkpoint is selected",
        ["past_index"] = "Llama keeps no past state in training",
        ["mp_parameters"] = "no SageMaker model parallelism",
        ["accelerator_config"] = "one process trains on one device",
        ["split_batches"] = "one process trains on one device",
        ["dispatch_batches"] = "one process trains on one device",
    };

    /// <summary>Keys accepted while they hold the value that changes nothing; any other value is refused with the alternative.</summary>
    private static readonly Dictionary<string, (Func<JsonNode?, bool> Harmless, string Alternative)> OnlyDefault = new(StringComparer.Ordinal)
    {
        ["fp16"] = (IsFalse, "use bf16: true (float16 loss scaling is not supported)"),
        ["bf16_full_eval"] = (IsFalse, "evaluation runs in the training precision"),
        ["fp16_full_eval"] = (IsFalse, "evaluation runs in the training precision"),
        ["tf32"] = (v => v is null || IsFalse(v), "float32 matmuls run in full float32 precision"),
        ["adafactor"] = (IsFalse, "the optimizer is AdamW (optim adamw_torch)"),
        ["optim_args"] = (v => v is null || v.ToString() == "", "AdamW takes adam_beta1, adam_beta2, adam_epsilon, weight_decay"),
        ["label_smoothing_factor"] = (IsZero, "ORPO's NLL term is unsmoothed"),
        ["neftune_noise_alpha"] = (v => v is null, "no NEFTune embedding noise; remove the key"),
        ["load_best_model_at_end"] = (IsFalse, "the output is the last step's model; evaluate the checkpoints with `eval`"),
        ["dataloader_drop_last"] = (IsFalse, "the last short batch of an epoch is trained; choose a batch size that divides the data"),
        ["is_encoder_decoder"] = (v => v is null || IsFalse(v), "only decoder-only (Llama) models train here"),
        ["use_rslora"] = (IsFalse, "LoRA scales by lora_alpha / lora_r"),
        ["use_dora"] = (IsFalse, "plain LoRA adapters only"),
        ["lora_modules_to_save"] = (v => v is null, "only the LoRA adapters train under use_peft; train fully without use_peft"),
        ["load_in_8bit"] = (IsFalse, "the base model loads as stored or in bf16"),
        ["load_in_4bit"] = (IsFalse, "the base model loads as stored or in bf16"),
        ["torch_dtype"] = (v => v?.ToString() is null or "auto" or "float32" or "bfloat16", "set bf16: true for bfloat16 training"),
        ["per_gpu_train_batch_size"] = (v => v is null, "per_device_train_batch_size"),
        ["per_gpu_eval_batch_size"] = (v => v is null, "per_device_eval_batch_size"),
        ["fsdp"] = (v => v is null || v.ToString() is "" or "[]", "one process trains on one device"),
        ["fsdp_config"] = (v => v is null, "one process trains on one device"),
        ["deepspeed"] = (v => v is null, "one process trains on one device"),
        ["optim_target_modules"] = (v => v is null, "the optimizer is AdamW on every trainable parameter"),
    };

    private static readonly string[] Optimizers = ["adamw_torch", "adamw_torch_fused"];

    /// <summary>
    /// Rewrites <paramref name="node"/> in place: TRL spellings become ours, keys without effect are removed with a
    /// warning, refused keys are returned as errors. Unknown keys stay for the deserializer to reject.
    /// </summary>
    public static (List<string> Warnings, List<string> Errors) Apply(JsonObject node)
    {
        List<string> warnings = [], errors = [];
        MapStrategy(node, "save_strategy", "save_steps", errors, "epoch and best are not supported: set save_steps");
        MapStrategy(node, "eval_strategy", "eval_steps", errors, "epoch is not supported: set eval_steps");
        MapStrategy(node, "evaluation_strategy", "eval_steps", errors, "epoch is not supported: set eval_steps");
        if (node.TryGetPropertyValue("logging_strategy", out var logging) && logging?.ToString() is not (null or "steps"))
            errors.Add($"logging_strategy '{logging}' is not supported: logging is every logging_steps (a ratio < 1 of the steps is allowed)");
        if (node.TryGetPropertyValue("optim", out var optim) && optim?.ToString() is { } name && !Optimizers.Contains(name))
            errors.Add($"optim '{name}' is not supported: use adamw_torch (torch's AdamW, which this trainer implements)");
        if (node["lora_target_modules"] is JsonValue single && single.TryGetValue<string>(out var module))
            node["lora_target_modules"] = new JsonArray(module); // PEFT takes a string ("all-linear") or a list
        if (node["lr_scheduler_kwargs"] is JsonValue text && text.TryGetValue<string>(out var json))
            node["lr_scheduler_kwargs"] = ParseObject(json, "lr_scheduler_kwargs", errors); // as transformers parses it from the command line

        foreach (var key in node.Select(p => p.Key).ToList())
        {
            if (NoEffect.TryGetValue(key, out var reason))
            {
                warnings.Add($"{key} has no effect here: {reason}");
                node.Remove(key);
            }
            else if (OnlyDefault.TryGetValue(key, out var rule))
            {
                if (rule.Harmless(node[key])) warnings.Add($"{key} has no effect here at {Show(node[key])}");
                else errors.Add($"{key} {Show(node[key])} is not supported: {rule.Alternative}");
                node.Remove(key);
            }
        }
        return (warnings, errors);
    }

    // "no" is honoured as steps = 0; "steps" is what we do; anything else is refused.
    private static void MapStrategy(JsonObject node, string key, string stepsKey, List<string> errors, string refusal)
    {
        if (!node.TryGetPropertyValue(key, out var value)) return;
        switch (value?.ToString())
        {
            case "no":
                node[stepsKey] = 0;
                node.Remove(key);
                break;
            case "steps" or null:
                break; // removed with its warning below
            default:
                errors.Add($"{key} '{value}': {refusal}");
                node.Remove(key);
                break;
        }
    }

    private static JsonNode? ParseObject(string json, string key, List<string> errors)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            errors.Add($"{key} must be a JSON object ({e.Message})");
            return null;
        }
    }

    private static bool IsFalse(JsonNode? v) => v is null || (v is JsonValue b && b.TryGetValue<bool>(out var value) && !value)
        || v.ToString() is "false" or "False";

    private static bool IsZero(JsonNode? v) => v is null
        || double.TryParse(v.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == 0;

    private static string Show(JsonNode? v) => v?.ToJsonString() ?? "null";
}
