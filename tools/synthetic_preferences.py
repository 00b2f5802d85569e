#!/usr/bin/env python3
"""Synthetic preference pairs with a learnable signal, for the "proof that it learns" (Python stdlib only).

Every prompt asks for a reply about a topic; the chosen reply is polite and on topic, the rejected reply is curt and
dismissive. Words are drawn at random so held-out pairs are new combinations: a model must learn the style, not the
rows. Usage: tools/synthetic_preferences.py OUT_DIR [--train N] [--eval N] [--seed S]  -> OUT_DIR/train.jsonl, eval.jsonl
"""
import argparse
import json
import os
import random

TOPICS = ["parcel", "refund", "order", "invoice", "jacket", "ticket", "account", "booking", "delivery", "payment",
          "coupon", "return", "warranty", "password", "address", "subscription"]
ASKS = ["Where is my {t}?", "Can you help with my {t}?", "What happened to my {t}?", "Is my {t} ready?",
        "Could you check my {t}?", "Any news about my {t}?"]
KIND_OPEN = ["Thank you for asking,", "Happy to help,", "Of course,", "Good question,"]
KIND_BODY = ["your {t} is on its way", "I checked your {t} and it looks fine", "your {t} will be sorted today",
             "the {t} is being handled now"]
KIND_CLOSE = ["and I will keep you posted.", "so please let me know if anything else comes up.", "have a nice day."]
RUDE = ["No.", "Not my problem.", "Ask someone else.", "Whatever.", "Figure it out yourself.", "I do not care."]


def pair(rng):
    t = rng.choice(TOPICS)
    prompt = rng.choice(ASKS).format(t=t)
    chosen = " " + " ".join([rng.choice(KIND_OPEN), rng.choice(KIND_BODY).format(t=t), rng.choice(KIND_CLOSE)])
    rejected = " " + rng.choice(RUDE)
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--train", type=int, default=256)
    ap.add_argument("--eval", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    seen = set()
    for split, n in (("train", a.train), ("eval", a.eval)):
        with open(os.path.join(a.out, split + ".jsonl"), "w", encoding="utf-8") as f:
            written = 0
            while written < n:
                p = pair(rng)
                key = (p["prompt"], p["chosen"], p["rejected"])
                if key in seen:  # held-out pairs never appear in train
                    continue
                seen.add(key)
                f.write(json.dumps(p) + "\n")
                written += 1


if __name__ == "__main__":
    main()
