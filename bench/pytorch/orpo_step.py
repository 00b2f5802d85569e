#!/usr/bin/env python3
"""PyTorch eager peer of `./run bench orpo-step`: the model of model_step.py and one ORPO step with TRL's loss
transcribed (ORPOTrainer.get_batch_logps average over completion tokens, NLL over the chosen half including the prompt,
log_odds with a stable log1mexp, loss = nll - beta * mean(logsigmoid(log_odds))), then backward, clip 1.0, AdamW.
Pairs x 2 rows of `seq` tokens, the first `prompt` of each a prompt. Prints one JSON line like model_step.py."""
import math, os, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_step import run  # noqa: E402


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


def orpo_step_loss(model, ids, a):
    labels = ids.clone()
    labels[:, : a.prompt] = -100
    return orpo_loss(model(ids), ids, labels, 0.1, a.pairs)


def main():
    run([("pairs", 4), ("prompt", 64)], lambda a: 2 * a.pairs, orpo_step_loss)


if __name__ == "__main__":
    main()
