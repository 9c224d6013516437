"""Benchmark: LoRA vs full fine-tuning of the whole 6-layer all-MiniLM-L6-v2 encoder, time per step and peak memory.

Run: python bench/lora_vs_full.py [--device cpu|cuda] [--batch 32] [--seq 128] [--steps 10] [--arch minilm|bert-base]
Each method trains in a fresh child process, so one method's freed memory cannot hide the other's peak.
Memory: on CUDA, torch's peak allocated bytes; on the CPU, the peak resident set size (VmHWM, reset just before
training through /proc/self/clear_refs) minus the size right after the model was built: what training itself adds
(gradients, AdamW state, activations). Prints a Markdown table and the LoRA/full ratios, all from this one run.
Time and memory do not depend on the weights' values, so the packaged checkpoint is used only when it is installed.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

import torch


def _rss_mb(field: str) -> float:
    "VmRSS or VmHWM of this process in MB (Linux)."
    for line in open('/proc/self/status'):
        if line.startswith(field + ':'): return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status: the CPU memory measure needs Linux")


SIZES = {'minilm': dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536),
         'bert-base': dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)}


def _model(device, arch='minilm'):
    from transformers import BertConfig, BertForSequenceClassification
    if arch != 'minilm':  # a bigger architecture, random weights: shows how the ratios move with model size
        cfg = BertConfig(vocab_size=30522, num_labels=5, **SIZES[arch])
        return BertForSequenceClassification(cfg).to(device), f'{arch} architecture, random weights'
    try:
        from finetune_lessons.data import minilm_dir
        path = minilm_dir()
        return BertForSequenceClassification.from_pretrained(path, num_labels=5).to(device), 'all-MiniLM-L6-v2'
    except Exception:  # weights absent (e.g. on a GPU box without the package data): same architecture, random weights
        cfg = BertConfig(vocab_size=30522, num_labels=5, **SIZES['minilm'])
        return BertForSequenceClassification(cfg).to(device), 'MiniLM-L6 architecture, random weights'


def child(method: str, device: str, batch: int, seq: int, steps: int, arch: str = 'minilm') -> dict:
    "Train `method` for `steps` AdamW steps on random tokens; return timing and memory."
    torch.manual_seed(0)
    dev = torch.device(device)
    model, source = _model(dev, arch)
    if method == 'lora':
        from finetune_lessons.peft import add_lora
        add_lora(model, ['query', 'value'], r=8)
        for p in model.classifier.parameters(): p.requires_grad_(True)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = torch.randint(1000, 30000, (batch, seq), device=dev)
    labels = torch.randint(0, 5, (batch,), device=dev)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)

    def step():
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)

    model.train()
    if dev.type == 'cuda':
        torch.cuda.synchronize(); base = torch.cuda.memory_allocated() / 2**20; torch.cuda.reset_peak_memory_stats()
    else:
        base = _rss_mb('VmRSS')
        with open('/proc/self/clear_refs', 'w') as f: f.write('5')  # reset the peak-RSS counter to now
    step(); sync()  # warm-up step: allocates gradients and optimizer state, which count towards the peak
    t0 = time.perf_counter()
    for _ in range(steps): step()
    sync()
    secs = (time.perf_counter() - t0) / steps
    peak = torch.cuda.max_memory_allocated() / 2**20 if dev.type == 'cuda' else _rss_mb('VmHWM')
    return dict(method=method, source=source, trainable=trainable, total=total, s_per_step=secs,
                base_mb=base, peak_mb=peak, train_mb=peak - base)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--seq', type=int, default=128)
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--arch', choices=tuple(SIZES), default='minilm', help='minilm: the packaged model; bert-base: random weights')
    ap.add_argument('--child', default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        torch.set_num_threads(int(os.environ.get('BENCH_THREADS', '2')))
        print(json.dumps(child(a.child, a.device, a.batch, a.seq, a.steps, a.arch))); return
    rows = {}
    for method in ('full', 'lora'):
        out = subprocess.run([sys.executable, __file__, '--child', method, '--device', a.device, '--batch', str(a.batch),
                              '--seq', str(a.seq), '--steps', str(a.steps), '--arch', a.arch], capture_output=True, text=True)
        if out.returncode: sys.exit(f"{method} failed:\n{out.stderr[-2000:]}")
        rows[method] = json.loads(out.stdout.strip().splitlines()[-1])
    name = torch.cuda.get_device_name(0) if a.device == 'cuda' else f"{platform.machine()}, {os.cpu_count()} cores"
    mem = 'peak allocated' if a.device == 'cuda' else 'peak RSS'
    print(f"{rows['full']['source']}; {name}; torch {torch.__version__}; batch {a.batch} × {a.seq} tokens; "
          f"{a.steps} timed AdamW steps after one warm-up; LoRA r=8 on query, value + the classifier\n")
    print(f"| method | trainable | s/step | {mem} (MB) | added by training (MB) |\n|---|---|---|---|---|")
    for m, r in rows.items():
        print(f"| {m} | {r['trainable']:,} ({100 * r['trainable'] / r['total']:.2f} %) | {r['s_per_step']:.3f} | "
              f"{r['peak_mb']:.0f} | {r['train_mb']:.0f} |")
    f, l = rows['full'], rows['lora']
    print(f"\nLoRA / full: time per step {l['s_per_step'] / f['s_per_step']:.2f}, "
          f"memory added by training {l['train_mb'] / f['train_mb']:.2f}, peak {l['peak_mb'] / f['peak_mb']:.2f}")


if __name__ == '__main__':
    main()
