#!/usr/bin/env python3
"""PyTorch eager peer of `./run bench model-step`: the same Llama-style model (RMSNorm in float32, rotate_half RoPE,
SwiGLU, untied lm_head, no dropout) and the same step (forward, cross-entropy, backward, clip 1.0, AdamW) at batch
8 x 256, float32. Prints one JSON line: tokens/s, peak RSS sampled after each step, and the fp32 matmul rate.
Debian's python3-torch is 1.13, which has no scaled_dot_product_attention: attention is the explicit softmax."""
import argparse, json, math, os, resource, time
import torch
import torch.nn as nn
import torch.nn.functional as F


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RmsNorm(nn.Module):
    def __init__(self, n, eps=1e-5):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(n)), eps

    def forward(self, x):
        x32 = x.float()
        return self.weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)


def rotate(x, cos, sin):
    x1, x2 = x.chunk(2, dim=-1)
    return x * cos + torch.cat((-x2, x1), dim=-1) * sin


class Block(nn.Module):
    def __init__(self, h, heads, inter):
        super().__init__()
        self.heads, self.hs = heads, h // heads
        self.input_layernorm, self.post_attention_layernorm = RmsNorm(h), RmsNorm(h)
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(h, h, bias=False) for _ in range(4))
        self.gate_proj, self.up_proj = nn.Linear(h, inter, bias=False), nn.Linear(h, inter, bias=False)
        self.down_proj = nn.Linear(inter, h, bias=False)

    def forward(self, x, cos, sin, causal):
        B, T, C = x.shape
        h = self.input_layernorm(x)
        q, k, v = (p(h).view(B, T, self.heads, self.hs).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.hs)
        att = att.masked_fill(causal, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.o_proj(y)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(nn.Module):
    def __init__(self, vocab, h, layers, heads, inter):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, h)
        self.layers = nn.ModuleList(Block(h, heads, inter) for _ in range(layers))
        self.norm, self.lm_head = RmsNorm(h), nn.Linear(h, vocab, bias=False)
        self.hs = h // heads
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0, 0.02)

    def forward(self, ids):
        T = ids.shape[1]
        inv = 1.0 / 10000.0 ** (torch.arange(0, self.hs, 2).float() / self.hs)
        freqs = torch.arange(T).float()[:, None] * inv[None, :]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos(), emb.sin()
        causal = torch.ones(T, T, dtype=torch.bool).triu(1)
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, causal)
        return self.lm_head(self.norm(x))


def matmul_gflops(n=2048, reps=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9


def run(extra_flags, rows_of, loss_of):
    """The step loop both peers share: common flags plus `extra_flags`, random (rows_of(a), seq) token ids,
    forward + `loss_of(model, ids, a)` + backward + clip + AdamW; prints one JSON line of figures."""
    p = argparse.ArgumentParser()
    for name, default in [("hidden", 256), ("layers", 4), ("inter", 0), ("vocab", 50257), ("seq", 256),
                          ("steps", 10), ("warmup", 2), ("threads", 2), ("seed", 0)] + extra_flags:
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.threads)  # as the TorchSharp side
    torch.manual_seed(a.seed)
    inter = a.inter or a.hidden * 8 // 3 // 64 * 64
    model = Model(a.vocab, a.hidden, a.layers, a.hidden // 64, inter)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    rows = rows_of(a)
    peak, elapsed = 0, 0.0
    start = resource.getrusage(resource.RUSAGE_SELF)
    for step in range(a.warmup + a.steps):
        if step == a.warmup:
            start = resource.getrusage(resource.RUSAGE_SELF)
        t = time.perf_counter()
        ids = torch.randint(0, a.vocab, (rows, a.seq))
        loss = loss_of(model, ids, a)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= a.warmup:
            elapsed += time.perf_counter() - t
        peak = max(peak, rss_bytes())
    end = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "tokens_per_s": rows * a.seq * a.steps / elapsed,
                      "peak_rss_bytes": peak, "matmul_gflops": matmul_gflops(), "loss": loss.item(),
                      "cpu_s_per_step": (end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime) / a.steps,
                      "minor_faults_per_step": (end.ru_minflt - start.ru_minflt) / a.steps}))


def lm_loss(model, ids, a):
    logits = model(ids)
    return F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab), ids[:, 1:].reshape(-1))


def main():
    run([("batch", 8)], lambda a: a.batch, lm_loss)


if __name__ == "__main__":
    main()
