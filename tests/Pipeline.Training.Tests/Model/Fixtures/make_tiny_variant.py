#!/usr/bin/env python3
"""Writes two random tiny checkpoints and their logits from a float64 pure-Python forward pass that follows Hugging Face
modeling_llama / modeling_qwen2 / modeling_qwen3 (RMSNorm, rotate_half RoPE, GQA via repeat_kv, SwiGLU):
  tiny-qwen2-llama3/  Qwen2: q/k/v bias, rope_scaling llama3, tied embeddings, explicit head_dim != hidden/heads.
  tiny-qwen3/         Qwen3: q_norm / k_norm (an RMSNorm over each query and key head before RoPE), no bias, untied
                      lm_head, head_dim != hidden/heads, rope_theta 1e6.
Standard library only; run once:
    python3 make_tiny_variant.py   (output is committed; the C# parity tests read it)"""
import json, math, os, random, struct

HERE = os.path.dirname(os.path.abspath(__file__))
QWEN2 = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 37, "hidden_size": 48,
    "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "head_dim": 16, "max_position_embeddings": 128, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 32},
    "tie_word_embeddings": True, "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2,
    "torch_dtype": "float32", "use_sliding_window": False,
}
QWEN3 = {
    "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "vocab_size": 41, "hidden_size": 48,
    "intermediate_size": 56, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "head_dim": 16, "max_position_embeddings": 128, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
    "rope_scaling": None, "attention_bias": False, "tie_word_embeddings": False, "hidden_act": "silu",
    "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32", "use_sliding_window": False,
}
f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]  # weights are stored as float32: round once


def make_weights(c, seed):
    """Random weights, drawn in a fixed order (the Qwen2 variant's order predates the Qwen3 one and must not move)."""
    rng = random.Random(seed)
    rand = lambda rows, cols, std: [[f32(rng.gauss(0.0, std)) for _ in range(cols)] for _ in range(rows)]
    H, I, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    nh, nkv, hd = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    qkv_bias = c["model_type"] == "qwen2" or c.get("attention_bias", False)
    W = {"model.embed_tokens.weight": rand(V, H, 1.0), "model.norm.weight": rand(1, H, 0.2)}
    W["model.norm.weight"] = [[f32(1.0 + w) for w in W["model.norm.weight"][0]]]
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        for name, rows, cols in [("self_attn.q_proj", nh * hd, H), ("self_attn.k_proj", nkv * hd, H),
                                 ("self_attn.v_proj", nkv * hd, H), ("self_attn.o_proj", H, nh * hd),
                                 ("mlp.gate_proj", I, H), ("mlp.up_proj", I, H), ("mlp.down_proj", H, I)]:
            W[p + name + ".weight"] = rand(rows, cols, 1.0 / math.sqrt(cols))
        if qkv_bias:
            for name, n in [("self_attn.q_proj", nh * hd), ("self_attn.k_proj", nkv * hd), ("self_attn.v_proj", nkv * hd)]:
                W[p + name + ".bias"] = rand(1, n, 0.3)
        for name in ["input_layernorm", "post_attention_layernorm"]:
            W[p + name + ".weight"] = [[f32(1.0 + rng.gauss(0, 0.2)) for _ in range(H)]]
        if c["model_type"] == "qwen3":
            for name in ["self_attn.q_norm", "self_attn.k_norm"]:
                W[p + name + ".weight"] = [[f32(1.0 + rng.gauss(0, 0.3)) for _ in range(hd)]]
    if not c["tie_word_embeddings"]:
        W["lm_head.weight"] = rand(V, H, 1.0 / math.sqrt(H))
    return W


def linear(x, w, b=None):  # x (T, in), w (out, in) -> (T, out)
    return [[sum(a * b_ for a, b_ in zip(row, wr)) + (b[0][o] if b else 0.0) for o, wr in enumerate(w)] for row in x]


def rmsnorm(x, w, eps):
    return [[v / math.sqrt(sum(u * u for u in row) / len(row) + eps) * w[0][i] for i, v in enumerate(row)] for row in x]


def inv_freq(c):
    hd, s = c["head_dim"], c["rope_scaling"]
    freqs = [1.0 / c["rope_theta"] ** (2 * i / hd) for i in range(hd // 2)]
    if s is None:
        return freqs
    old, low, high, factor = s["original_max_position_embeddings"], s["low_freq_factor"], s["high_freq_factor"], s["factor"]
    out = []
    for f in freqs:
        wavelen = 2 * math.pi / f
        if wavelen < old / high:
            out.append(f)
        elif wavelen > old / low:
            out.append(f / factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            out.append((1 - smooth) * f / factor + smooth * f)
    return out


def rope(v, pos, inv):  # v (hd): v * cos + rotate_half(v) * sin, rotate_half = cat(-x2, x1)
    hd = len(v)
    half = hd // 2
    ang = [pos * f for f in inv] * 2
    rot = [-x for x in v[half:]] + v[:half]
    return [v[i] * math.cos(ang[i]) + rot[i] * math.sin(ang[i]) for i in range(hd)]


def forward(c, W, ids):
    T, inv, eps = len(ids), inv_freq(c), c["rms_norm_eps"]
    nh, nkv, hd = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    x = [list(W["model.embed_tokens.weight"][i]) for i in ids]
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rmsnorm(x, W[p + "input_layernorm.weight"], eps)
        q = linear(h, W[p + "self_attn.q_proj.weight"], W.get(p + "self_attn.q_proj.bias"))
        k = linear(h, W[p + "self_attn.k_proj.weight"], W.get(p + "self_attn.k_proj.bias"))
        v = linear(h, W[p + "self_attn.v_proj.weight"], W.get(p + "self_attn.v_proj.bias"))
        att = [[0.0] * (nh * hd) for _ in range(T)]
        for head in range(nh):
            kvh = head // (nh // nkv)  # repeat_kv: query head -> its key/value head
            qh = [q[t][head * hd:(head + 1) * hd] for t in range(T)]
            kh = [k[t][kvh * hd:(kvh + 1) * hd] for t in range(T)]
            if c["model_type"] == "qwen3":  # Qwen3Attention: q_norm(q_proj(x).view(..., hd)), k_norm likewise
                qh = rmsnorm(qh, W[p + "self_attn.q_norm.weight"], eps)
                kh = rmsnorm(kh, W[p + "self_attn.k_norm.weight"], eps)
            qs = [rope(qh[t], t, inv) for t in range(T)]
            ks = [rope(kh[t], t, inv) for t in range(T)]
            vs = [v[t][kvh * hd:(kvh + 1) * hd] for t in range(T)]
            for t in range(T):
                scores = [sum(a * b for a, b in zip(qs[t], ks[s])) / math.sqrt(hd) for s in range(t + 1)]
                m = max(scores)
                e = [math.exp(s - m) for s in scores]
                z = sum(e)
                for d in range(hd):
                    att[t][head * hd + d] = sum(e[s] / z * vs[s][d] for s in range(t + 1))
        o = linear(att, W[p + "self_attn.o_proj.weight"])
        x = [[a + b for a, b in zip(r1, r2)] for r1, r2 in zip(x, o)]
        h = rmsnorm(x, W[p + "post_attention_layernorm.weight"], eps)
        g = linear(h, W[p + "mlp.gate_proj.weight"])
        u = linear(h, W[p + "mlp.up_proj.weight"])
        act = [[gv / (1 + math.exp(-gv)) * uv for gv, uv in zip(gr, ur)] for gr, ur in zip(g, u)]
        d = linear(act, W[p + "mlp.down_proj.weight"])
        x = [[a + b for a, b in zip(r1, r2)] for r1, r2 in zip(x, d)]
    x = rmsnorm(x, W["model.norm.weight"], eps)
    return linear(x, W.get("lm_head.weight", W["model.embed_tokens.weight"]))  # tied: the embedding


def write_safetensors(W, path):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(W):
        rows = W[name]
        shape = [len(rows[0])] if name.endswith(("norm.weight", ".bias")) else [len(rows), len(rows[0])]
        data = struct.pack(f"<{len(rows) * len(rows[0])}f", *[v for r in rows for v in r])
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def write_variant(folder, config, seed, inputs):
    out = os.path.join(HERE, folder)
    os.makedirs(out, exist_ok=True)
    W = make_weights(config, seed)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_safetensors(W, os.path.join(out, "model.safetensors"))
    with open(os.path.join(out, "expected_logits.json"), "w") as f:
        json.dump({"input_ids": inputs, "logits": [forward(config, W, ids) for ids in inputs]}, f)


write_variant("tiny-qwen2-llama3", QWEN2, 1234, [[1, 5, 9, 33, 12, 7, 7, 20, 3, 36, 4, 18, 25], [1, 30, 2, 14, 8, 11]])
write_variant("tiny-qwen3", QWEN3, 4321, [[1, 7, 40, 3, 3, 19, 28, 11, 2, 35, 6], [1, 22, 9, 17, 30]])
