#!/usr/bin/env python3
"""PyTorch reference of the Dptr.MLNet demo recognizer, trained from scratch (bench/pytorch-reference/README.md).

Models exactly the configuration `DemoRecipe.Finetune(DemoSizes.Full, ...)` gives `DptrRecognizerEstimator`
(src/Dptr.Cli/Demo/DemoRecipe.cs), written from the conventions of PARSeq / OpenOCR's DPTR decoder
(two-stream pre-LN decoder layers, permutation LM with mirrored orders, cloze refinement, FMU) and from the C#
modules' documented behaviour, not copied from either:

  image [B,3,32,128] in (x/255-0.5)/0.5
  -> per-image standardisation (mean/std over C,H,W; std unbiased, +1e-3)           ConvolutionalEncoder.cs
  -> conv stem 3->32 s2, 32->64 s2, 64->64, 64->128 s(2,1), 128->128, fold (4,1)    (BN + ReLU each, no bias)
  -> 32 column tokens + learned pos embedding, Depth 0 (no transformer blocks), LayerNorm(eps 1e-6)
  -> FMU: 26 learned queries, cross-attention (4 heads, dropout .1) + pre-LN GELU FFN (x4)   FeatureMergeUnit.cs
  -> + column shortcut (mean of 26 equal spans of the 32 columns)                    RecognitionNetwork.cs
  -> memory LayerNorm (EncoderOptions.NormalizeMemory = true)
  -> PARSeq decoder: 2 two-stream layers, width 128, 4 heads, MLP x4, dropout .1, max length 25
  loss = permutation CE (2 orders: left-to-right and its mirror with null-context [E])
       + 1.0 x CTC (blank 0, mean, zero_infinity) of a Linear head on the 32 column tokens
  AdamW(lr 3e-3, betas .9/.999, eps 1e-8, weight decay .01 on every parameter), clip-norm 5,
  OneCycle (cosine, pct_start .05, div 25, final div 1e4, no momentum cycling), batch 32, drop_last, shuffled epochs.
  Evaluation: greedy autoregressive decoding (stops when every row has [E]) + 1 cloze refinement iteration;
  word accuracy under the 36-character protocol (lower-case, alphanumerics only).

Usage: /usr/bin/python3 reference.py --train DIR --val DIR --steps N --val-every K --out curve.csv [--seed S]
"""
import argparse
import csv
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

CHARSET = "abcdefghijklmnopqrstuvwxyz0123456789"
EOS = 0                      # [E]; symbols are 1..36
NUM_CLASSES = len(CHARSET) + 1   # head outputs: [E] + symbols (37)
BOS = NUM_CLASSES            # 37
PAD = NUM_CLASSES + 1        # 38
MAX_LEN = 25
CHAR_ID = {c: i + 1 for i, c in enumerate(CHARSET)}


def protocol36(text):
    return "".join(c for c in text.lower() if c in CHAR_ID)


def encode(labels):
    """[B, L+2]: [B] ids [E] [P]..., L = longest label of the batch."""
    longest = max(len(s) for s in labels)
    out = torch.full((len(labels), longest + 2), PAD, dtype=torch.long)
    for i, s in enumerate(labels):
        ids = [BOS] + [CHAR_ID[c] for c in s] + [EOS]
        out[i, :len(ids)] = torch.tensor(ids)
    return out


def decode_ids(ids):
    text = []
    for t in ids:
        if t == EOS:
            break
        text.append(CHARSET[t - 1] if 1 <= t <= len(CHARSET) else "")
    return "".join(text)


# ----------------------------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------------------------

def trunc_normal(t, std=0.02):
    nn.init.trunc_normal_(t, std=std, a=-2.0, b=2.0)


def init_linear(linear):
    trunc_normal(linear.weight)
    if linear.bias is not None:
        nn.init.zeros_(linear.bias)


class Attention(nn.Module):
    """Batch-first multi-head attention with attention-weight dropout: torch's nn.MultiheadAttention
    (packed q/k/v, xavier-uniform in_proj, zero biases), out_proj re-initialised trunc-normal .02 as
    PARSeq/OpenOCR's init pass does for every nn.Linear."""

    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.mha = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        init_linear(self.mha.out_proj)

    def forward(self, q, k, v, attn_mask=None, key_padding_mask=None):
        if attn_mask is not None and key_padding_mask is not None:
            # one additive mask [B*heads, Lq, Lk] (what MHA does internally), so both are of one dtype
            b, lk = key_padding_mask.shape
            h = self.mha.num_heads
            pad = torch.zeros(b, 1, 1, lk).masked_fill(key_padding_mask.view(b, 1, 1, lk), float("-inf"))
            m = attn_mask.view(-1, 1, attn_mask.shape[-2], lk) if attn_mask.dim() == 3 else attn_mask.view(1, 1, *attn_mask.shape)
            attn_mask = (m + pad).expand(b, h, -1, -1).reshape(b * h, -1, lk)
            key_padding_mask = None
        return self.mha(q, k, v, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False)[0]


class FeedForward(nn.Module):
    def __init__(self, dim, hidden, dropout):
        super().__init__()
        self.linear1 = nn.Linear(dim, hidden)
        self.linear2 = nn.Linear(hidden, dim)
        self.dropout = nn.Dropout(dropout)
        init_linear(self.linear1)
        init_linear(self.linear2)

    def forward(self, x):
        return self.linear2(self.dropout(F.gelu(self.linear1(x))))


class ConvEncoder(nn.Module):
    def __init__(self, dim=128, tokens=32):
        super().__init__()
        c1, c2 = max(16, dim // 4), max(32, dim // 2)

        def block(i, o, k, s, p):
            conv = nn.Conv2d(i, o, k, s, p, bias=False)
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            return [conv, nn.BatchNorm2d(o), nn.ReLU(inplace=True)]

        self.stem = nn.Sequential(*block(3, c1, 3, 2, 1), *block(c1, c2, 3, 2, 1), *block(c2, c2, 3, 1, 1),
                                  *block(c2, dim, 3, (2, 1), 1), *block(dim, dim, 3, 1, 1), *block(dim, dim, (4, 1), 1, 0))
        self.pos_embed = nn.Parameter(torch.empty(1, tokens, dim))
        trunc_normal(self.pos_embed)
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, images):
        mean = images.mean(dim=(1, 2, 3), keepdim=True)
        std = images.std(dim=(1, 2, 3), keepdim=True)
        x = self.stem((images - mean) / (std + 1e-3)).flatten(2).transpose(1, 2) + self.pos_embed
        return self.norm(x)


class FMU(nn.Module):
    def __init__(self, queries, dim, heads, mlp_ratio, dropout):
        super().__init__()
        self.token_query = nn.Parameter(torch.empty(1, queries, dim))
        trunc_normal(self.token_query)
        self.cross_attn = Attention(dim, heads, dropout)
        self.norm = nn.LayerNorm(dim)
        self.ffn = FeedForward(dim, dim * mlp_ratio, dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, visual):
        q = self.token_query.expand(visual.shape[0], -1, -1)
        q = q + self.dropout1(self.cross_attn(q, visual, visual))
        return q + self.dropout2(self.ffn(self.norm(q)))


class TwoStreamLayer(nn.Module):
    def __init__(self, dim, heads, mlp_ratio, dropout):
        super().__init__()
        self.self_attn = Attention(dim, heads, dropout)
        self.cross_attn = Attention(dim, heads, dropout)
        self.ffn = FeedForward(dim, dim * mlp_ratio, dropout)
        self.norm1, self.norm2, self.norm_q, self.norm_c = (nn.LayerNorm(dim) for _ in range(4))
        self.dropout1, self.dropout2, self.dropout3 = (nn.Dropout(dropout) for _ in range(3))

    def stream(self, tgt, tgt_norm, kv, memory, mask, pad):
        tgt = tgt + self.dropout1(self.self_attn(tgt_norm, kv, kv, mask, pad))
        tgt = tgt + self.dropout2(self.cross_attn(self.norm1(tgt), memory, memory))
        return tgt + self.dropout3(self.ffn(self.norm2(tgt)))

    def forward(self, query, content, memory, query_mask, content_mask, pad, update_content):
        content_norm = self.norm_c(content)
        query = self.stream(query, self.norm_q(query), content_norm, memory, query_mask, pad)
        if update_content:
            content = self.stream(content, content_norm, content_norm, memory, content_mask, pad)
        return query, content


class ParseqDecoder(nn.Module):
    def __init__(self, dim=128, depth=2, heads=4, mlp_ratio=4, dropout=0.1, max_len=MAX_LEN):
        super().__init__()
        self.dim = dim
        self.layers = nn.ModuleList(TwoStreamLayer(dim, heads, mlp_ratio, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.text_embed = nn.Embedding(NUM_CLASSES + 2, dim)
        trunc_normal(self.text_embed.weight)
        self.pos_queries = nn.Parameter(torch.empty(1, max_len + 1, dim))
        trunc_normal(self.pos_queries)
        self.head = nn.Linear(dim, NUM_CLASSES)
        init_linear(self.head)
        self.dropout = nn.Dropout(dropout)

    def embed(self, tokens):
        return math.sqrt(self.dim) * self.text_embed(tokens)

    def forward(self, tgt_in, memory, content_mask=None, pad=None, query=None, query_mask=None):
        b, n = tgt_in.shape
        content = self.embed(tgt_in[:, :1])
        if n > 1:
            content = torch.cat([content, self.pos_queries[:, :n - 1] + self.embed(tgt_in[:, 1:])], 1)
        content = self.dropout(content)
        query = self.dropout(self.pos_queries[:, :n].expand(b, -1, -1) if query is None else query)
        for i, layer in enumerate(self.layers):
            query, content = layer(query, content, memory, query_mask, content_mask, pad, i < len(self.layers) - 1)
        return self.head(self.norm(query))


def permutations_for(max_chars):
    """The 2 orders PARSeq trains with perm_num 2: forward, and the mirror with [E] right after [B]."""
    if max_chars == 1:
        return [list(range(3))]
    fwd = [0] + [i + 1 for i in range(max_chars)] + [max_chars + 1]
    rev = [0] + [max_chars + 1 - i for i in range(max_chars + 1)]
    return [fwd, rev]


def attn_masks(perm):
    sz = len(perm)
    mask = torch.zeros(sz, sz)
    for i in range(sz):
        mask[perm[i], perm[i + 1:]] = float("-inf")
    content = mask[:-1, :-1].clone()
    mask[torch.eye(sz, dtype=torch.bool)] = float("-inf")
    return content, mask[1:, :-1].clone()


class Recognizer(nn.Module):
    def __init__(self, dim=128, heads=4, ctc_weight=1.0, column_shortcut=True, normalize_memory=True):
        super().__init__()
        self.encoder = ConvEncoder(dim)
        self.fmu = FMU(MAX_LEN + 1, dim, heads, 4, 0.1)
        self.memory_norm = nn.LayerNorm(dim)
        self.ctc_head = nn.Linear(dim, NUM_CLASSES)
        init_linear(self.ctc_head)
        self.decoder = ParseqDecoder(dim)
        self.ctc_weight, self.column_shortcut, self.normalize_memory = ctc_weight, column_shortcut, normalize_memory

    def merge(self, visual):
        memory = self.fmu(visual)
        if self.column_shortcut:
            memory = memory + F.adaptive_avg_pool1d(visual.transpose(1, 2), memory.shape[1]).transpose(1, 2)
        return self.memory_norm(memory) if self.normalize_memory else memory

    def loss(self, images, tgt):
        visual = self.encoder(images)
        memory = self.merge(visual)
        tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
        pad = (tgt_in == PAD) | (tgt_in == EOS)
        total, count = 0.0, 0
        n = (tgt_out != PAD).sum().item()
        for i, perm in enumerate(permutations_for(tgt.shape[1] - 2)):
            content_mask, query_mask = attn_masks(perm)
            logits = self.decoder(tgt_in, memory, content_mask, pad, query_mask=query_mask)
            total = total + n * F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD)
            count += n
            if i == 1:
                tgt_out = torch.where(tgt_out == EOS, torch.full_like(tgt_out, PAD), tgt_out)
                n = (tgt_out != PAD).sum().item()
        loss = total / count
        if self.ctc_weight > 0:
            logp = F.log_softmax(self.ctc_head(visual), -1)
            body = tgt[:, 1:]
            is_sym = (body > 0) & (body < NUM_CLASSES)
            targets = torch.where(is_sym, body, torch.zeros_like(body))
            lengths = is_sym.sum(1)
            frames = torch.full((images.shape[0],), logp.shape[1], dtype=torch.long)
            ctc = F.ctc_loss(logp.transpose(0, 1), targets, frames, lengths, blank=0, reduction="mean", zero_infinity=True)
            loss = loss + self.ctc_weight * ctc
        return loss

    @torch.no_grad()
    def read(self, images, refine_iters=1):
        memory = self.merge(self.encoder(images))
        b, steps = images.shape[0], MAX_LEN + 1
        causal = torch.triu(torch.full((steps, steps), float("-inf")), 1)
        pos = self.decoder.pos_queries[:, :steps].expand(b, -1, -1)
        tgt_in = torch.full((b, steps), PAD, dtype=torch.long)
        tgt_in[:, 0] = BOS
        logits = []
        for i in range(steps):
            j = i + 1
            p = self.decoder(tgt_in[:, :j], memory, causal[:j, :j], None, query=pos[:, i:j], query_mask=causal[i:j, :j])
            logits.append(p)
            if j < steps:
                tgt_in[:, j] = p.squeeze(1).argmax(-1)
                if (tgt_in == EOS).any(-1).all():
                    break
        logits = torch.cat(logits, 1)
        if refine_iters:
            query_mask = causal.clone()
            query_mask[torch.triu(torch.ones(steps, steps, dtype=torch.bool), 2)] = 0
            bos = torch.full((b, 1), BOS, dtype=torch.long)
            for _ in range(refine_iters):
                tgt_in = torch.cat([bos, logits[:, :-1].argmax(-1)], 1)
                n = tgt_in.shape[1]
                pad = (tgt_in == EOS).int().cumsum(-1) > 0
                logits = self.decoder(tgt_in, memory, causal[:n, :n], pad, query=pos[:, :n], query_mask=query_mask[:n, :n])
        ids = logits.argmax(-1).tolist()
        return [decode_ids(r) for r in ids]


# ----------------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------------

def load_folder(root):
    """labels.tsv (relative/path<TAB>label) -> uint8 [N,3,32,128], labels (36-char protocol)."""
    paths, labels = [], []
    with open(os.path.join(root, "labels.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            p, label = line.split("\t", 1)
            label = protocol36(label)
            if not label or len(label) > MAX_LEN:
                continue
            paths.append(p)
            labels.append(label)
    data = np.empty((len(paths), 3, 32, 128), dtype=np.uint8)
    for i, p in enumerate(paths):
        im = Image.open(os.path.join(root, p)).convert("RGB")
        if im.size != (128, 32):
            im = im.resize((128, 32), Image.BILINEAR)  # stretch, as RecognizerImagePipeline (Fill)
        data[i] = np.asarray(im).transpose(2, 0, 1)
    return torch.from_numpy(data), labels


def to_input(batch_u8):
    return (batch_u8.float() / 255.0 - 0.5) / 0.5


def evaluate(model, images, labels, batch=32):
    model.eval()
    correct = 0
    for s in range(0, len(labels), batch):
        pred = model.read(to_input(images[s:s + batch]))
        correct += sum(protocol36(p) == protocol36(t) for p, t in zip(pred, labels[s:s + batch]))
    model.train()
    return correct / len(labels)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--val-every", type=int, default=100)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=0.05)
    ap.add_argument("--ctc-weight", type=float, default=1.0)
    ap.add_argument("--no-column-shortcut", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t0 = time.time()
    train_x, train_y = load_folder(a.train)
    val_x, val_y = load_folder(a.val)
    print(f"loaded {len(train_y)} train / {len(val_y)} val images in {time.time() - t0:.0f} s", flush=True)

    model = Recognizer(ctc_weight=a.ctc_weight, column_shortcut=not a.no_column_shortcut)
    print(f"parameters: {sum(p.numel() for p in model.parameters())}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=a.wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, a.lr, total_steps=a.steps, pct_start=a.warmup, anneal_strategy="cos",
                                                cycle_momentum=False, div_factor=25, final_div_factor=1e4)
    gen = torch.Generator().manual_seed(a.seed)
    per_epoch = len(train_y) // a.batch
    order = None
    model.train()
    rows = []
    train_time, losses = 0.0, []
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", "loss", "lr", "val_acc", "train_s_per_step", "elapsed_s"])
        for step in range(a.steps):
            e, k = divmod(step, per_epoch)
            if k == 0:
                order = torch.randperm(len(train_y), generator=gen)
            idx = order[k * a.batch:(k + 1) * a.batch]
            ts = time.time()
            images = to_input(train_x[idx])
            tgt = encode([train_y[i] for i in idx.tolist()])
            lr = opt.param_groups[0]["lr"]
            opt.zero_grad(set_to_none=True)
            loss = model.loss(images, tgt)
            if not torch.isfinite(loss):
                raise RuntimeError(f"loss {loss.item()} at step {step}")
            loss.backward()
            if a.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            opt.step()
            sched.step() if step + 1 < a.steps else None
            train_time += time.time() - ts
            losses.append(loss.item())
            done = step + 1
            acc = None
            if done % a.val_every == 0 or done == a.steps:
                acc = evaluate(model, val_x, val_y)
            if done % 10 == 0 or acc is not None:
                mean_loss = sum(losses[-10:]) / len(losses[-10:])
                w.writerow([done, f"{losses[-1]:.5f}", f"{lr:.6g}", "" if acc is None else f"{acc:.4f}",
                            f"{train_time / done:.4f}", f"{time.time() - t0:.1f}"])
                f.flush()
                if acc is not None:
                    print(f"step {done} loss {mean_loss:.4f} (last {losses[-1]:.4f}) val {acc:.1%} "
                          f"{train_time / done:.3f} s/step t {time.time() - t0:.0f}s", flush=True)
    print(f"done {a.steps} steps, {train_time / a.steps:.3f} s/step (training only), {time.time() - t0:.0f} s in all", flush=True)


if __name__ == "__main__":
    main()
