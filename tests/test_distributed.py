"Data parallelism through Accelerate: 2 CPU processes (gloo, via torchrun) equal 1 process with the same global batch."
import subprocess
import sys
import textwrap

import torch

SCRIPT = textwrap.dedent("""
    import sys, json, torch
    from finetune_lessons.core import LessonError, set_seed
    from finetune_lessons.train import fit, tensor_loader
    from accelerate import Accelerator
    torch.set_num_threads(1)
    per_process_batch, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    set_seed(0)
    X = torch.randn(n, 5); y = (X[:, 0] + X[:, 1] > 0).long()
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    acc = Accelerator(cpu=True)
    try:
        h = fit(model, tensor_loader(X, y, per_process_batch), epochs=3, opt=torch.optim.SGD(model.parameters(), lr=0.05),
                accelerator=acc, progress=False)
    except LessonError as e:
        print(f"error: {e}", file=sys.stderr)
        acc.end_training()  # destroy the process group before exiting, on this path too
        sys.exit(2)
    if acc.is_main_process:
        torch.save({'state': acc.unwrap_model(model).state_dict(), 'loss': h['train_loss'], 'procs': acc.num_processes}, out)
    # Without destroy_process_group, gloo's worker threads can still hold tensors while the interpreter finalizes,
    # which now and then aborts a rank (SIGABRT) after a successful run: wait for every rank, then destroy it.
    acc.wait_for_everyone()
    acc.end_training()
""")


def _run(tmp_path, procs, batch, n=64):
    script = tmp_path / 'train_ddp.py'
    script.write_text(SCRIPT)
    out = tmp_path / f'out{procs}.pt'
    # --standalone: a free port for each run, so runs never collide with each other or a port still in use
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', str(procs)] if procs > 1 else [sys.executable]
    r = subprocess.run([*cmd, str(script), str(batch), str(n), str(out)], capture_output=True, text=True, timeout=240,
                       env={**__import__('os').environ, 'OMP_NUM_THREADS': '1'})
    return r, out


def test_two_gloo_processes_match_one_process_with_the_same_global_batch(tmp_path):
    r1, o1 = _run(tmp_path, 1, 16)
    r2, o2 = _run(tmp_path, 2, 8)  # 2 processes × 8 = the same global batch of 16
    assert r1.returncode == 0, r1.stderr[-2000:]
    assert r2.returncode == 0, r2.stderr[-2000:]
    a, b = torch.load(o1), torch.load(o2)
    assert a['procs'] == 1 and b['procs'] == 2
    for k in a['state']: assert torch.allclose(a['state'][k], b['state'][k], atol=1e-6), k
    assert all(abs(x - y) < 1e-6 for x, y in zip(a['loss'], b['loss']))  # history gathered across processes


def test_more_processes_than_batches_is_a_clear_error(tmp_path):
    r, _ = _run(tmp_path, 2, 64, n=64)  # one batch for two processes
    ours = [l for l in r.stderr.splitlines() if l.startswith('error:')]  # torchrun adds its own failure report after it
    assert r.returncode != 0 and ours and 'every process needs at least one' in ours[0]


def test_fp16_on_cpu_is_a_clear_error():
    import pytest
    from finetune_lessons.core import LessonError
    from finetune_lessons.train import make_accelerator
    if torch.cuda.is_available(): pytest.skip('checks the CPU-only message')
    with pytest.raises(LessonError, match="needs a CUDA GPU: use mixed_precision='bf16'"): make_accelerator('fp16')
