#!/usr/bin/env python3
"""PyTorch eager peer of `./run bench orpo-step`: the model of model_step.py and one ORPO step with TRL's loss
transcribed (ORPOTrainer.get_batch_logps average over completion tokens, NLL over the chosen half including the prompt,
log_odds with a stable log1mexp, loss = nll - beta * mean(logsigmoid(log_odds))), then backward, clip 1.0, AdamW.
Pairs x 2 rows of `seq` tokens, the first `prompt` of each a prompt. Prints one JSON line like model_step.py."""
import argparse, json, math, os, resource, sys, time
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_step import Model, matmul_gflops, rss_bytes  # noqa: E402


def log1mexp(x):
    return torch.where(x > -math.log(2), torch.log(-torch.expm1(x)), torch.log1p(-torch.exp(x)))


def orpo_loss(logits, ids, labels, beta, pairs):
    logits = logits.float()
    # get_batch_logps(average_log_prob=True)
    lab = labels[:, 1:].clone()
    lg = logits[:, :-1, :]
    mask = lab != -100
    lab[lab == -100] = 0
    per_token = torch.gather(lg.log_softmax(-1), 2, lab.unsqueeze(2)).squeeze(2)
    logps = (per_token * mask).sum(-1) / mask.sum(-1)
    chosen, rejected = logps[:pairs], logps[pairs:]
    # NLL: cross entropy over the chosen half, prompt included (no padding here)
    nll = F.cross_entropy(lg[:pairs].reshape(-1, lg.shape[-1]), ids[:pairs, 1:].reshape(-1))
    log_odds = (chosen - rejected) - (log1mexp(chosen) - log1mexp(rejected))
    return nll - (beta * F.logsigmoid(log_odds)).mean()


def main():
    p = argparse.ArgumentParser()
    for name, default in [("hidden", 256), ("layers", 4), ("inter", 0), ("vocab", 50257), ("pairs", 4), ("seq", 256),
                          ("prompt", 64), ("steps", 10), ("warmup", 2), ("threads", 2), ("seed", 0)]:
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.threads)  # as the TorchSharp side
    torch.manual_seed(a.seed)
    inter = a.inter or a.hidden * 8 // 3 // 64 * 64
    model = Model(a.vocab, a.hidden, a.layers, a.hidden // 64, inter)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    peak, elapsed = 0, 0.0
    start = resource.getrusage(resource.RUSAGE_SELF)
    for step in range(a.warmup + a.steps):
        if step == a.warmup:
            start = resource.getrusage(resource.RUSAGE_SELF)
        t = time.perf_counter()
        ids = torch.randint(0, a.vocab, (2 * a.pairs, a.seq))
        labels = ids.clone()
        labels[:, : a.prompt] = -100
        loss = orpo_loss(model(ids), ids, labels, 0.1, a.pairs)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step >= a.warmup:
            elapsed += time.perf_counter() - t
        peak = max(peak, rss_bytes())
    end = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "tokens_per_s": 2 * a.pairs * a.seq * a.steps / elapsed,
                      "peak_rss_bytes": peak, "matmul_gflops": matmul_gflops(), "loss": loss.item(),
                      "cpu_s_per_step": (end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime) / a.steps,
                      "minor_faults_per_step": (end.ru_minflt - start.ru_minflt) / a.steps}))


if __name__ == "__main__":
    main()
