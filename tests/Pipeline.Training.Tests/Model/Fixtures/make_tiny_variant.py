#!/usr/bin/env python3
"""Writes tiny-qwen2-llama3/: a random tiny checkpoint and its logits from a float64 pure-Python forward pass that
follows Hugging Face modeling_llama / modeling_qwen2 (RMSNorm, rotate_half RoPE with rope_scaling llama3, GQA via
repeat_kv, q/k/v bias, SwiGLU, tied embeddings, explicit head_dim != hidden/heads). Standard library only; run once:
    python3 make_tiny_variant.py   (output is committed; the C# parity test reads it)"""
import json, math, os, random, struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny-qwen2-llama3")
CONFIG = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 37, "hidden_size": 48,
    "intermediate_size": 40, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "head_dim": 16, "max_position_embeddings": 128, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 32},
    "tie_word_embeddings": True, "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2,
    "torch_dtype": "float32", "use_sliding_window": False,
}
INPUTS = [[1, 5, 9, 33, 12, 7, 7, 20, 3, 36, 4, 18, 25], [1, 30, 2, 14, 8, 11]]
rng = random.Random(1234)
f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]  # weights are stored as float32: round once


def rand(rows, cols, std):
    return [[f32(rng.gauss(0.0, std)) for _ in range(cols)] for _ in range(rows)]


c = CONFIG
H, I, V, nh, nkv, hd = c["hidden_size"], c["intermediate_size"], c["vocab_size"], 4, 2, c["head_dim"]
W = {"model.embed_tokens.weight": rand(V, H, 1.0), "model.norm.weight": rand(1, H, 0.2)}
W["model.norm.weight"] = [[f32(1.0 + w) for w in W["model.norm.weight"][0]]]
for l in range(c["num_hidden_layers"]):
    p = f"model.layers.{l}."
    for name, rows, cols in [("self_attn.q_proj", nh * hd, H), ("self_attn.k_proj", nkv * hd, H),
                             ("self_attn.v_proj", nkv * hd, H), ("self_attn.o_proj", H, nh * hd),
                             ("mlp.gate_proj", I, H), ("mlp.up_proj", I, H), ("mlp.down_proj", H, I)]:
        W[p + name + ".weight"] = rand(rows, cols, 1.0 / math.sqrt(cols))
    for name, n in [("self_attn.q_proj", nh * hd), ("self_attn.k_proj", nkv * hd), ("self_attn.v_proj", nkv * hd)]:
        W[p + name + ".bias"] = rand(1, n, 0.3)
    for name in ["input_layernorm", "post_attention_layernorm"]:
        W[p + name + ".weight"] = [[f32(1.0 + rng.gauss(0, 0.2)) for _ in range(H)]]


def linear(x, w, b=None):  # x (T, in), w (out, in) -> (T, out)
    return [[sum(a * b_ for a, b_ in zip(row, wr)) + (b[0][o] if b else 0.0) for o, wr in enumerate(w)] for row in x]


def rmsnorm(x, w, eps):
    return [[v / math.sqrt(sum(u * u for u in row) / len(row) + eps) * w[0][i] for i, v in enumerate(row)] for row in x]


def inv_freq():
    s = c["rope_scaling"]
    freqs = [1.0 / c["rope_theta"] ** (2 * i / hd) for i in range(hd // 2)]
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
    half = hd // 2
    ang = [pos * f for f in inv] * 2
    rot = [-x for x in v[half:]] + v[:half]
    return [v[i] * math.cos(ang[i]) + rot[i] * math.sin(ang[i]) for i in range(hd)]


def forward(ids):
    T, inv, eps = len(ids), inv_freq(), c["rms_norm_eps"]
    x = [list(W["model.embed_tokens.weight"][i]) for i in ids]
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rmsnorm(x, W[p + "input_layernorm.weight"], eps)
        q = linear(h, W[p + "self_attn.q_proj.weight"], W[p + "self_attn.q_proj.bias"])
        k = linear(h, W[p + "self_attn.k_proj.weight"], W[p + "self_attn.k_proj.bias"])
        v = linear(h, W[p + "self_attn.v_proj.weight"], W[p + "self_attn.v_proj.bias"])
        att = [[0.0] * (nh * hd) for _ in range(T)]
        for head in range(nh):
            kvh = head // (nh // nkv)  # repeat_kv: query head -> its key/value head
            qs = [rope(q[t][head * hd:(head + 1) * hd], t, inv) for t in range(T)]
            ks = [rope(k[t][kvh * hd:(kvh + 1) * hd], t, inv) for t in range(T)]
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
    return linear(x, W["model.embed_tokens.weight"])  # tied lm_head


def write_safetensors(path):
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


os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "config.json"), "w") as f:
    json.dump(CONFIG, f, indent=2)
write_safetensors(os.path.join(OUT, "model.safetensors"))
with open(os.path.join(OUT, "expected_logits.json"), "w") as f:
    json.dump({"input_ids": INPUTS, "logits": [forward(ids) for ids in INPUTS]}, f)
