#!/usr/bin/env python3
"""PyTorch eager peer of `./run bench real-size`: the same checkpoint (config.json + bf16 safetensors, one file or shards, read here
without the safetensors package), the same batch (--batch: input_ids / attention_mask / labels from our collator) and
the same ORPO step (TRL's loss, orpo_step.py), in float32 as transformers loads a model by default, without gradient
checkpointing. Qwen2 (q/k/v bias), Qwen3 (q_norm / k_norm) and Llama 3 (rope_scaling llama3) as modeling_*.py.
--mode lora: frozen base, LoRA r 16 / alpha 32 on all seven projections (PEFT's init: A Kaiming-uniform, B zero);
--mode full: every weight trains. AdamW (lr 1e-4), clip 1.0. Debian's torch 1.13 has no SDPA: explicit attention.
Prints one JSON line: load_s, step_s (timed steps), tokens_per_step, peak / after-load / between-steps RSS, and the
first step's loss (before any update: the same as ours for the same checkpoint and batch)."""
import argparse, json, math, os, resource, struct, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from orpo_step import orpo_loss  # noqa: E402

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def rss(field="VmRSS"):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field + ":"))


def read_safetensors(path):
    """name -> float32 tensor, one tensor at a time from the file (bf16 / f16 / f32)."""
    dtypes = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        for name, e in header.items():
            if name == "__metadata__":
                continue
            begin, end = e["data_offsets"]
            f.seek(8 + n + begin)
            raw = bytearray(f.read(end - begin))
            yield name, torch.frombuffer(raw, dtype=dtypes[e["dtype"]]).reshape(e["shape"]).float()


class RmsNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.empty(n, device="meta")), eps

    def forward(self, x):
        x32 = x.float()
        return self.weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)


class Lora(nn.Module):
    """PEFT lora.Linear: y = base(x) + (alpha / r) B A x."""
    def __init__(self, base, r=16, alpha=32):
        super().__init__()
        self.base, self.scaling = base, alpha / r
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


def inv_freq(c, hd):
    freqs = 1.0 / c.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2).float() / hd)
    s = c.get("rope_scaling")
    if not s or s.get("rope_type", s.get("type")) != "llama3":
        return freqs
    old, low, high, factor = s["original_max_position_embeddings"], s["low_freq_factor"], s["high_freq_factor"], s["factor"]
    wavelen = 2 * math.pi / freqs
    smooth = (old / wavelen - low) / (high - low)
    scaled = torch.where(wavelen > old / low, freqs / factor, freqs)
    mid = (wavelen >= old / high) & (wavelen <= old / low)
    return torch.where(mid, (1 - smooth) * freqs / factor + smooth * freqs, scaled)


def rotate(x, cos, sin):
    x1, x2 = x.chunk(2, dim=-1)
    return x * cos + torch.cat((-x2, x1), dim=-1) * sin


class Block(nn.Module):
    def __init__(self, c, hd):
        super().__init__()
        h, nh, nkv, inter, eps = c["hidden_size"], c["num_attention_heads"], c.get("num_key_value_heads") or c["num_attention_heads"], c["intermediate_size"], c["rms_norm_eps"]
        qkv_bias = c["model_type"] == "qwen2" or c.get("attention_bias", False)
        self.nh, self.nkv, self.hd = nh, nkv, hd
        lin = lambda i, o, b=False: nn.Linear(i, o, bias=b, device="meta")
        self.input_layernorm, self.post_attention_layernorm = RmsNorm(h, eps), RmsNorm(h, eps)
        self.q_proj, self.k_proj, self.v_proj = lin(h, nh * hd, qkv_bias), lin(h, nkv * hd, qkv_bias), lin(h, nkv * hd, qkv_bias)
        self.o_proj = lin(nh * hd, h, c.get("attention_bias", False))
        self.q_norm = RmsNorm(hd, eps) if c["model_type"] == "qwen3" else None
        self.k_norm = RmsNorm(hd, eps) if c["model_type"] == "qwen3" else None
        self.gate_proj, self.up_proj, self.down_proj = lin(h, inter), lin(h, inter), lin(inter, h)

    def forward(self, x, cos, sin, causal):
        B, T, _ = x.shape
        a = self.input_layernorm(x)
        q, k = self.q_proj(a).view(B, T, self.nh, self.hd), self.k_proj(a).view(B, T, self.nkv, self.hd)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        q, k = rotate(q.transpose(1, 2), cos, sin), rotate(k.transpose(1, 2), cos, sin)
        v = self.v_proj(a).view(B, T, self.nkv, self.hd).transpose(1, 2)
        k, v = (t.repeat_interleave(self.nh // self.nkv, dim=1) for t in (k, v))  # repeat_kv
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(self.hd)).masked_fill(causal, float("-inf")).softmax(-1)
        x = x + self.o_proj((att @ v).transpose(1, 2).reshape(B, T, self.nh * self.hd))
        m = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(m)) * self.up_proj(m))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.hd = c.get("head_dim") or (128 if c["model_type"] == "qwen3" else c["hidden_size"] // c["num_attention_heads"])
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"], device="meta")
        self.layers = nn.ModuleList(Block(c, self.hd) for _ in range(c["num_hidden_layers"]))
        self.norm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = None if c.get("tie_word_embeddings") else nn.Linear(c["hidden_size"], c["vocab_size"], bias=False, device="meta")
        self.register_buffer("inv_freq", inv_freq(c, self.hd), persistent=False)

    def forward(self, ids):
        T = ids.shape[1]
        freqs = torch.arange(T).float()[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos(), emb.sin()
        causal = torch.ones(T, T, dtype=torch.bool).triu(1)
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, causal)
        x = self.norm(x)
        return self.lm_head(x) if self.lm_head is not None else x @ self.embed_tokens.weight.t()


def load(model_dir):
    c = json.load(open(os.path.join(model_dir, "config.json")))
    model = Model(c)
    model.to_empty(device="cpu")
    model.inv_freq.copy_(inv_freq(c, model.hd))
    state = {k: v for k, v in model.state_dict().items()}
    with torch.no_grad():
        files = sorted(f for f in os.listdir(model_dir) if f.endswith(".safetensors"))  # one file or model-0000N-of-0000M shards
        for name, t in (item for f in files for item in read_safetensors(os.path.join(model_dir, f))):
            key = (name[len("model."):] if name.startswith("model.") else name).replace("self_attn.", "").replace("mlp.", "")
            state[key].copy_(t)
    return model


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model-dir", required=True)
    p.add_argument("--batch", required=True)
    p.add_argument("--mode", choices=("lora", "full"), default="lora")
    for name, default in [("steps", 2), ("warmup", 1), ("threads", 2), ("seed", 0)]:
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    # No swap on the benchmark machines: a step larger than the free memory would bring in the OOM killer, which may
    # pick another process. Cap the address space at what can be resident, so such a step ends in MemoryError.
    with open("/proc/meminfo") as f:
        available = next(int(l.split()[1]) * 1024 for l in f if l.startswith("MemAvailable:"))
    cap = rss("VmSize") + available
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.threads)
    torch.manual_seed(a.seed)
    t0 = time.perf_counter()
    model = load(a.model_dir)
    if a.mode == "lora":
        model.requires_grad_(False)
        for layer in model.layers:
            for name in TARGETS:
                setattr(layer, name, Lora(getattr(layer, name)))
    load_s = time.perf_counter() - t0
    trainable = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-4)
    batch = json.load(open(a.batch))
    ids, mask, labels = (torch.tensor(batch[k]) for k in ("input_ids", "attention_mask", "labels"))
    assert bool(mask.all()), "the peer's loss assumes no padding (real-size batches have none)"
    pairs = ids.shape[0] // 2
    after_load, between, steps, cpu, losses = rss(), 0, [], [], []
    for step in range(a.warmup + a.steps):
        t = time.perf_counter()
        u = resource.getrusage(resource.RUSAGE_SELF)
        loss = orpo_loss(model(ids), ids, labels, 0.1, pairs)
        losses.append(loss.item())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        if step >= a.warmup:
            steps.append(time.perf_counter() - t)
            v = resource.getrusage(resource.RUSAGE_SELF)
            cpu.append(v.ru_utime + v.ru_stime - u.ru_utime - u.ru_stime)
        between = max(between, rss())
    print(json.dumps({"framework": f"PyTorch {torch.__version__} fp32", "load_s": load_s, "step_s": steps, "cpu_s": cpu,
                      "tokens_per_step": int(mask.sum()), "peak_rss_bytes": rss("VmHWM"), "after_load_bytes": after_load,
                      "between_steps_bytes": between, "first_loss": losses[0]}))


if __name__ == "__main__":
    main()
