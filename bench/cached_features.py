"""Benchmark: training a linear head on a frozen backbone, naive loop vs features cached once.

Run: python bench/cached_features.py   (tiny profile's model A; a few seconds per size on one CPU core)
Prints a Markdown table; the ratio grows with the number of training images because the backbone's cost is per image.
"""
import os
import platform

import torch

from finetune_lessons.data import fashion_mnist, few_shot_indices, relabel
from finetune_lessons.finetune import time_probe_training
from finetune_lessons.pretraining import TARGET_CLASSES, PretrainConfig, model_a, to_input


def main(sizes=(5, 20, 100, 500), steps=80):
    torch.set_num_threads(int(os.environ.get('BENCH_THREADS', '1')))
    backbone, _ = model_a(PretrainConfig(), echo=lambda s: None)
    X, y = fashion_mnist('train')
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s); {steps} full-batch head steps\n")
    print('| images per class | images | naive (s) | cached (s) | speed-up |\n|---|---|---|---|---|')
    for k in sizes:
        idx = few_shot_indices(y, k, TARGET_CLASSES, seed=0)
        r = time_probe_training(backbone, to_input(X[idx]), relabel(y[idx], TARGET_CLASSES), 5, steps=steps)
        print(f"| {k} | {r['n_images']} | {r['naive_s']:.2f} | {r['cached_s']:.3f} | {r['speedup']:.0f}× |")


if __name__ == '__main__':
    main()
