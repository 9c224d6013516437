"""Benchmark: the whole course in the tiny profile, per lesson and in total, as `finetune-lessons run` executes it.

Run: python bench/course.py        (about 9 minutes on 2 CPU cores; runs the course twice)
Both runs start from a cold model cache (model A is pretrained inside lesson 1 or 2, as on a fresh machine):
  1. one lesson at a time, each with every core (`--jobs 1`): the per-lesson times;
  2. two lessons at a time, one thread each (`--jobs 2`, the tiny profile's default on 2+ cores): the total.
Prints a Markdown table with the machine; targets from the course spec: each lesson <= 90 s, all <= 5 min.
"""
import os
import platform
import re
import sys
import tempfile
import time

import torch

from finetune_lessons.cli import run_lessons


def timed_run(jobs: int) -> tuple[dict[str, float], float]:
    "Run every lesson with a cold cache; return ({notebook: seconds}, total seconds)."
    lines = []
    with tempfile.TemporaryDirectory() as d:
        os.environ.update(FINETUNE_LESSONS_CACHE=f"{d}/cache", FINETUNE_LESSONS_RESULTS=f"{d}/results")
        t0 = time.perf_counter()
        run_lessons(profile='tiny', out_dir=f"{d}/runs", jobs=jobs, echo=lambda s: (lines.append(s), print(s, flush=True)))
        total = time.perf_counter() - t0
    per = {m[1]: float(m[2]) for s in lines if (m := re.match(r'\s*(\S+\.ipynb) done in (\d+) s', s))}
    return per, total


def main():
    if os.environ.get('OMP_NUM_THREADS'): sys.exit('unset OMP_NUM_THREADS: the sequential run should use every core')
    seq, seq_total = timed_run(1)
    par, par_total = timed_run(2)
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, no GPU used; torch {torch.__version__}; "
          f"{time.strftime('%Y-%m-%d')}\n")
    print('| lesson | one at a time (s) | two at a time, 1 thread each (s) |\n|---|---|---|')
    for nb in seq: print(f"| {nb} | {seq[nb]:.0f} | {par.get(nb, float('nan')):.0f} |")
    print(f"| **total (wall clock)** | **{seq_total:.0f}** | **{par_total:.0f}** |")
    print(f"\nslowest lesson {max(seq.values()):.0f} s (target 90 s); whole course {seq_total / 60:.1f} min one at a time, "
          f"{par_total / 60:.1f} min two at a time (target 5 min); speed-up {seq_total / par_total:.2f}×")


if __name__ == '__main__':
    main()
