// Logits of a right-padded batch, padded positions included, against an independent float64 Llama written here from
// transformers' modeling_llama as TRL calls it (attention_mask given, no position_ids): positions 0..T-1, padded keys
// masked. TRL's logits/* metrics average over exactly these positions, so they must agree there too.
using System.Text.Json;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Orpo;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Model;

public sealed class PaddedLogitsTests
{
    [Fact]
    public void Padded_positions_get_transformers_logits_and_logits_metrics_match_TRLs_mean()
    {
        using var scope = NewDisposeScope();
        using var model = HfModelFolder.Load(ModelFixtures.TinyLlama, CPU);
        model.eval();
        var pairs = ReferencePairs().Take(3).ToList();
        var batch = PairCollator.Collate(pairs, padTokenId: 302, CPU);
        Assert.Contains(0L, batch.AttentionMask.flatten().data<long>().ToArray()); // the batch really is padded

        var reference = ReferenceLlama.Logits(Safetensors.Read(Path.Combine(ModelFixtures.TinyLlama, "model.safetensors")), batch.InputIds, batch.AttentionMask);
        Tensor ours;
        using (no_grad()) ours = model.forward(batch.InputIds, batch.AttentionMask).to_type(ScalarType.Float64); // (2B, T, V)
        var worst = (ours - reference).abs().max().item<double>();
        Assert.True(worst < 1e-4, $"logits differ by up to {worst} from the float64 reference (padded positions included)");

        // logits/chosen and logits/rejected: TRL's plain mean of logits[half, :-1, :] over every position and the vocabulary.
        var stats = OrpoPass.Evaluate(model, batch, 0.1).Stats.ToHost();
        var b = pairs.Count;
        var t = batch.InputIds.shape[1];
        double Mean(int start) => reference.narrow(0, start, b).narrow(1, 0, t - 1).mean().item<double>();
        Assert.Equal(Mean(0), stats.ChosenLogitsSum / stats.LogitsCountPerHalf, 5);
        Assert.Equal(Mean(b), stats.RejectedLogitsSum / stats.LogitsCountPerHalf, 5);
    }

    [Fact]
    public void Eval_reports_eval_logits_as_TRL_does_the_mean_over_file_order_batches_of_each_batchs_mean()
    {
        using var scope = NewDisposeScope();
        using var model = HfModelFolder.Load(ModelFixtures.TinyLlama, CPU);
        var pairs = ReferencePairs();
        var weights = Safetensors.Read(Path.Combine(ModelFixtures.TinyLlama, "model.safetensors"));
        const int BatchSize = 2;

        var eval = Pipeline.Training.Evaluation.OrpoEvaluator.Evaluate(model, pairs, 0.1, BatchSize, padTokenId: 302, CPU);

        var (chosen, rejected) = (new List<double>(), new List<double>());
        foreach (var chunk in pairs.Chunk(BatchSize))
        {
            var batch = PairCollator.Collate(chunk, 302, CPU);
            var logits = ReferenceLlama.Logits(weights, batch.InputIds, batch.AttentionMask);
            var t = batch.InputIds.shape[1];
            chosen.Add(logits.narrow(0, 0, chunk.Length).narrow(1, 0, t - 1).mean().item<double>());
            rejected.Add(logits.narrow(0, chunk.Length, chunk.Length).narrow(1, 0, t - 1).mean().item<double>());
        }
        Assert.Equal(chosen.Average(), eval.Metrics["eval_logits/chosen"], 5);
        Assert.Equal(rejected.Average(), eval.Metrics["eval_logits/rejected"], 5);
    }

    /// <summary>The fixture's 6 pairs as the reference tokenised them (expected_eval.json), of unequal lengths.</summary>
    private static List<TokenizedPair> ReferencePairs()
    {
        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFixtures.TinyLlama, "expected_eval.json"))).RootElement;
        int[] Ids(JsonElement pair, string side) => [.. pair.GetProperty($"{side}_input_ids").EnumerateArray().Select(e => e.GetInt32())];
        return [.. expected.GetProperty("pairs").EnumerateArray().Select(p => new TokenizedPair(
            Ids(p, "chosen"), p.GetProperty("chosen_prompt_len").GetInt32(), Ids(p, "rejected"), p.GetProperty("rejected_prompt_len").GetInt32()))];
    }
}

/// <summary>A float64 Llama forward from the safetensors weights alone: the reference, nothing shared with Model/.</summary>
internal static class ReferenceLlama
{
    public static Tensor Logits(Dictionary<string, Tensor> w, Tensor inputIds, Tensor attentionMask)
    {
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFixtures.TinyLlama, "config.json"))).RootElement;
        int Int(string k) => config.GetProperty(k).GetInt32();
        int layers = Int("num_hidden_layers"), nh = Int("num_attention_heads"), nkv = Int("num_key_value_heads"), hs = Int("head_dim");
        var eps = config.GetProperty("rms_norm_eps").GetDouble();
        var theta = config.GetProperty("rope_theta").GetDouble();
        Tensor W(string name) => w[name].to_type(ScalarType.Float64);
        Tensor Norm(Tensor x, Tensor g) => x * rsqrt(x.pow(2).mean([-1], keepdim: true) + eps) * g;
        Tensor RotateHalf(Tensor x) => cat([-x.narrow(-1, hs / 2, hs / 2), x.narrow(-1, 0, hs / 2)], -1);

        var (bsz, t) = (inputIds.shape[0], inputIds.shape[1]);
        var invFreq = 1.0 / pow(theta, arange(0, hs, 2, ScalarType.Float64) / hs);          // (hs/2)
        var freqs = arange(t, ScalarType.Float64).unsqueeze(1) * invFreq.unsqueeze(0);       // (T, hs/2): positions 0..T-1
        var emb = cat([freqs, freqs], -1);                                                   // (T, hs)
        var (cos, sin) = (emb.cos(), emb.sin());
        // Causal, and a key that is padding is never attended (transformers' 4D mask from attention_mask).
        var causal = ones(t, t, ScalarType.Bool).tril();                                     // (T, T)
        var allowed = causal.unsqueeze(0) & attentionMask.to_type(ScalarType.Bool).unsqueeze(1); // (B, T, T)
        var bias = zeros(bsz, 1, t, t, ScalarType.Float64).masked_fill(allowed.unsqueeze(1).logical_not(), double.NegativeInfinity);

        var x = W("model.embed_tokens.weight").index_select(0, inputIds.flatten()).view(bsz, t, -1); // (B, T, C)
        for (var i = 0; i < layers; i++)
        {
            var p = $"model.layers.{i}.";
            var h = Norm(x, W(p + "input_layernorm.weight"));
            var q = matmul(h, W(p + "self_attn.q_proj.weight").t()).view(bsz, t, nh, hs).transpose(1, 2);  // (B, nh, T, hs)
            var k = matmul(h, W(p + "self_attn.k_proj.weight").t()).view(bsz, t, nkv, hs).transpose(1, 2); // (B, nkv, T, hs)
            var v = matmul(h, W(p + "self_attn.v_proj.weight").t()).view(bsz, t, nkv, hs).transpose(1, 2);
            q = q * cos + RotateHalf(q) * sin;
            k = k * cos + RotateHalf(k) * sin;
            k = k.repeat_interleave(nh / nkv, 1);
            v = v.repeat_interleave(nh / nkv, 1);
            var scores = matmul(q, k.transpose(-1, -2)) / Math.Sqrt(hs) + bias;                // (B, nh, T, T)
            var attn = matmul(scores.softmax(-1), v).transpose(1, 2).reshape(bsz, t, nh * hs);
            x = x + matmul(attn, W(p + "self_attn.o_proj.weight").t());
            h = Norm(x, W(p + "post_attention_layernorm.weight"));
            var gate = nn.functional.silu(matmul(h, W(p + "mlp.gate_proj.weight").t()));
            x = x + matmul(gate * matmul(h, W(p + "mlp.up_proj.weight").t()), W(p + "mlp.down_proj.weight").t());
        }
        return matmul(Norm(x, W("model.norm.weight")), W("lm_head.weight").t());          // (B, T, V)
    }
}
