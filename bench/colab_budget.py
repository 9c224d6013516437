"""Colab T4 time budget of every lesson's full profile, from counted FLOPs (no GPU needed).

Each workload a lesson runs in its full profile at scale 1 is one row of WORKLOADS below (the one place to edit):
which network, forward only or a training step, batch, examples per run, runs. The script builds each network at
its real size with random weights (offline: bert-base from `BertConfig()`, torchvision `resnet18(weights=None)`,
timm `tf_efficientnet_lite0`; the lessons' own helpers for freezing and PEFT), runs ONE step on the CPU at a small
batch under `torch.utils.flop_counter.FlopCounterMode` (a forward, or forward + backward of the loss for
training, with exactly the parameters the lesson trains), scales the FLOPs to the real batch (matmul, conv and
attention FLOPs are linear in the batch), multiplies by the configured counts and converts to minutes:

    minutes = runs x steps x (FLOPs per step / effective throughput + aten ops per step x c_op + c_step)

It prints a Markdown table per lesson for two variants: 'current' is the full profile as it was before the T4 cuts
(two learning rates per method in lesson 5), 'proposed' the one the lessons now use (one rate each). It exits 1 when,
for the checked variant (default: proposed), a lesson is over 15 min or the course over 60 with fp16 autocast where the
package applies it (`fit`, `pretrain_mlm`, `pooled_features`) and fp32 for the rows marked † (other helpers).
Measuring takes ~100 s of CPU (two cores; longer on a busy machine).

    PYTHONPATH=$PWD OMP_NUM_THREADS=2 python bench/colab_budget.py [--gpu t4|a100|h100|h200] [--check current|proposed]
"""
from __future__ import annotations
import argparse, math, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------------------------
# Assumptions (T4 = Colab's free GPU: 8.1 TFLOPS fp32 peak, 65 TFLOPS fp16 tensor-core peak, no bf16, no TF32)
# - fp32 effective 4 TFLOPS for transformers: a T4 capped at 70 W holds ~1.2-1.4 GHz under load, not its 1.59 GHz boost (~6.5 TFLOPS
#   fp32 at best), and these workloads are small GEMMs and 64 px convolutions that reach well under 80 % of that.
# - fp16 autocast effective 14 TFLOPS for transformers (~ a fifth of the tensor-core peak, 3.5x fp32): autocast
#   leaves LayerNorm, softmax, losses and the optimizer in fp32, and element-wise work is bound by 320 GB/s of memory.
# - CNNs get less: 2.5 TFLOPS fp32 and 6 fp16 (the order of ResNet-50 training on a T4, ~100 images/s fp32 and
#   ~250 with AMP at 224 px); at 64 px the maps are 16x16 down to 2x2, so this is if anything generous; the
#   per-op term below carries the small batches. Calibrate all of these with one measured T4 run (--gpu presets).
# - Small models are launch-bound, so each step also pays c_op per aten op it dispatches (eager PyTorch on Colab's
#   2.2 GHz Xeon: ~12 us of CPU per op, counted here on the CPU for the same step) plus c_step per step (the Python
#   loop, loss.item()'s sync, AdamW's multi-tensor kernels, collation). Adding this to the compute time, rather than
#   overlapping them, errs on the slow side.
# - Host-only work (scikit-learn probes, ICA, subprocess launches) is HOST_S: measured on a 2-core x86 CPU, like
#   Colab's 2 vCPUs. Downloads (ResNet-18 45 MB, bert-base 440 MB, SST-2, IMDb) and installs are not counted.
PRESETS = {  # name: effective (fp32, 16-bit) TFLOPS for transformers and for CNNs, seconds per aten op, per train / forward step
    't4':   dict(transformer=(4.0, 14.0), cnn=(2.5, 6.0), c_op=12e-6, c_train=2e-3, c_fwd=0.5e-3, half='fp16'),
    'a100': dict(transformer=(12.0, 120.0), cnn=(8.0, 40.0), c_op=8e-6, c_train=1.5e-3, c_fwd=0.4e-3, half='bf16'),  # TF32 off for matmuls
    'h100': dict(transformer=(30.0, 350.0), cnn=(15.0, 80.0), c_op=6e-6, c_train=1e-3, c_fwd=0.3e-3, half='bf16'),
    'h200': dict(transformer=(30.0, 350.0), cnn=(15.0, 80.0), c_op=6e-6, c_train=1e-3, c_fwd=0.3e-3, half='bf16'),  # H100 compute, more memory
}
LESSON_MAX_MIN, COURSE_MAX_MIN = 15.0, 60.0
SST2_TRAIN_TOKENS = 40  # lesson 15 trims each batch to its longest example: longest of 32 SST-2 train phrases ~ 40 WordPiece tokens (assumed)
SST2_EVAL_TOKENS = 64   # batches of 256 (validation sentences are longer): assume the 64-token cap is reached
HOST_S = {  # CPU-only seconds per lesson (full profile), measured here with 2 threads
    '11': 5,    # Fashion-MNIST loading, model A's confusion matrix on the CPU
    '12': 185,  # ICA of 8,000 patches (9 s) + 225 logistic-regression probes on whole stage maps, nothing compressed: ResNet-18 at 64 px,
                # 1,000 images x up to 16,384 features, ~4 s per network, task and draw (30 of them); EfficientNet-Lite0 ~4.5 s per network and draw (10)
    '13': 40,   # grey -> 64 px RGB preprocessing, bookkeeping; decoding 1,500 Oxford-IIIT Pet JPEGs; pixel and mid-stage logistic probes
    '14': 35,   # corpus generation and tokenization (51k sentences, 21k reviews), ~80 small probes, PPMI + SVD, the exact floor
    '15': 25,   # 27 warm-start logistic regressions on 4,096 x 768 features (~0.5 s each), 30 small kinds probes, tokenizing SST-2
    '16': 25,   # two tiny DDP runs in subprocesses (torchrun start-up), building BertModel on the CPU
}
HOST_S_PROPOSED = dict(HOST_S)

# ---------------------------------------------------------------------------------------------------------------
# Workloads. net: a key of NETS below, or {key: runs} when one row spans several networks (then runs is ignored).
# n: examples per run (steps x batch for training); steps: per run (default ceil(n / batch)); amp: True where the
# row runs inside `fit`, `pretrain_mlm` or `pooled_features` (or through a model `fit` already wrapped), which
# autocast to fp16 on a T4; False where another forward-only helper (features, evaluation) runs outside them.
# prop: overrides for the proposed variant (None: unchanged).
def W(lesson, cell, what, net, mode, batch, n, runs=1, steps=None, amp=True, prop=None):
    return dict(lesson=lesson, cell=cell, what=what, net=net, mode=mode, batch=batch, n=n, runs=runs, steps=steps, amp=amp,
                prop=prop)

R18, PEFT = 'resnet18@64', lambda m, t: f"peft:{m}@{t}"
SHOTS13 = (1, 5, 10, 50)
PEFT_TRAIN = {m: 3 for m in ('full', 'full (frozen embeddings)', 'full [CLS]', 'top layers', 'bitfit', 'lora (ours)', 'adapters', 'ia3',
                             'prompt tuning', 'prefix tuning')}  # 30 training runs: one literature rate per method, 3 seeds (the probe takes no steps)
PEFT_EVAL = {**PEFT_TRAIN, 'probe': 3}          # 33 scored runs
PEFT_WARM = {'probe': 3, 'prompt tuning': 3, 'prefix tuning': 3}  # warm-start features: the base's once per seed, the prompt methods' own
def peft_nets(runs, t): return {PEFT(m, t): r for m, r in runs.items()}

WORKLOADS = [
    # -- lesson 11: ImageNet pretraining ----------------------------------------------------------------------
    W('11', '[23]', 'ImageNet top-5 of 4 photos (on the CPU)', 'resnet18@224', 'fwd', 1, 4, amp=False),
    W('11', '[44]', 'pretrain model A: 30,000 images x 10 epochs, batch 256', 'smallcnn@28', 'train', 256, 300_000, steps=1180),
    W('11', '[44]', "fit's validation: 5,000 images x 10 epochs", 'smallcnn@28', 'fwd', 1000, 50_000),
    W('11', '[46] [50]', 'model A on 10,000 test images (on the CPU)', 'smallcnn@28', 'fwd', 1000, 10_000, amp=False),
    # -- lesson 12: what CNN layers learn ---------------------------------------------------------------------
    W('12', '[23]', 'feature maps of one photo', 'resnet18@224', 'fwd', 1, 1, amp=False),
    W('12', '[29]', 'stage probes: 5 seeds x 2 nets x 7,797 images', R18, 'fwd', 500, 7797, runs=10, amp=False),
    W('12', '[39]', 'Lite0 stage probes: 5 seeds x 2 nets x 3,000 images (no BN re-estimation)', 'lite0@64', 'fwd', 500, 3000, runs=10, amp=False),
    W('12', '[45]', 'full fine-tune, 100 images x 40 steps, 5 seeds x 2 nets', R18, 'train', 100, 4000, runs=10),
    # -- lesson 13: freezing vs fine-tuning (ResNet-18 at 64 px; 60 full-batch steps per run) -----------------------
    W('13', '[43]', 'LR choice: scratch, full, layerwise (10 LRs x 2 draws, 25 images; now about 12 x 1 draw)', R18, 'train', 25, 1500, runs=20),
    W('13', '[43]', 'LR choice: partial (3 LRs x 2 draws)', R18 + ':partial', 'train', 25, 1500, runs=6),
    W('13', '[43]', 'LR choice: gradual (3 LRs x 2 draws)', R18 + ':gradual', 'train', 25, 1500, runs=6),
    W('13', '[43]', 'LR choice: probe features + 120 head steps (3 x 2)', {R18: 6, 'head512': 6}, 'mixed', 25, 26),
    W('13', '[43]', 'LR choice: validation accuracy, 38 runs x 200 images', R18, 'fwd', 200, 200, runs=38),
    *[W('13', '[45]', f"sweep, {k} shot{'s' * (k > 1)}: scratch, full, layerwise x 5 seeds", R18, 'train', 5 * k, 300 * k, runs=15) for k in SHOTS13],
    *[W('13', '[45]', f"sweep, {k} shot{'s' * (k > 1)}: partial, gradual x 5 seeds",
        {R18 + ':partial': 5, R18 + ':gradual': 5}, 'train', 5 * k, 300 * k)
      for k in SHOTS13],
    W('13', '[45]', 'sweep: probe features (5 seeds x 4 shot counts)', R18, 'fwd', 500, 5 * sum(SHOTS13) // 4 + 1, runs=20,
      amp=False),
    W('13', '[45]', 'sweep: probe heads, 120 steps each', 'head512', 'train', 25, 3000, runs=20),
    W('13', '[45]', 'sweep: test accuracy, 120 runs x 2,000 images', R18, 'fwd', 500, 2000, runs=120),
    W('13', '[53]', 'Yosinski: copy k, fine-tuned (k = 2-4; k = 0 is the scratch arm) x 5 seeds', R18, 'train', 25, 1500, runs=15),
    W('13', '[53]', 'Yosinski: copy k, frozen (k = 2-4) x 5 seeds', {f"{R18}:frozen{k}": 5 for k in range(2, 5)}, 'train', 25, 1500),
    W('13', '[53]', 'Yosinski: test accuracy, 31 runs x 2,000 images', R18, 'fwd', 500, 2000, runs=31),
    W('13', '[large LR]', 'full and scratch at 10x and 30x their chosen rates + layerwise at full\'s rate, 5 shots x 5 seeds', R18, 'train', 25, 1500, runs=25),
    W('13', '[large LR]', 'their test accuracy, 25 runs x 2,000 images', R18, 'fwd', 500, 2000, runs=25),
    # the source's cat/dog photos: Oxford-IIIT Pet at 128 px, ResNet-18; 60 full-batch steps; 5 / 50 / 200 per class
    W('13', '[pets]', 'pets: rates for scratch + fine-tuned on validation (about 4 each), 50 per class', 'resnet18@128', 'train', 100, 6000, runs=8),
    *[W('13', '[pets]', f"pets, {k} per class: scratch + fine-tuned x 5 seeds", 'resnet18@128', 'train', 2 * k, 120 * k, runs=10)
      for k in (5, 50, 200)],
    W('13', '[pets]', 'pets: probe features and test accuracy of every run, 57 x 1,100 photos', 'resnet18@128', 'fwd', 500, 1100, runs=57,
      amp=False),
    W('13', '[57]', 'digits: scratch + full, 5 shots x 10 classes, 5 seeds', R18, 'train', 50, 3000, runs=10),
    W('13', '[57]', 'digits: scratch + full, 20 shots x 10 classes, 5 seeds', R18, 'train', 200, 12000, runs=10),
    W('13', '[57]', 'digits: probe features + heads (2 shot counts x 5 seeds)', {R18: 10, 'head512': 10}, 'mixed', 125, 126),
    W('13', '[57]', 'digits: test accuracy, 30 runs x 800 images', R18, 'fwd', 500, 800, runs=30),
    W('13', '[65]', 'Lite0 one pass, ImageNet: every labelled draw + val 400 + test 4,000', 'lite0@64', 'fwd', 250, 4400 + 3350, amp=False),
    W('13', '[65]', 'Lite0 one pass, a fresh random init per seed (5): its draws + val + test', 'lite0@64', 'fwd', 250, 4400 + 650, runs=5, amp=False),
    W('13', '[65]', 'Lite0 one pass, random init for selection: val + one draw', 'lite0@64', 'fwd', 250, 425, amp=False),
    W('13', '[65]', 'Lite0 top fine-tuned: (2 LRs x 2 draws + 5 seeds) x 60 steps', 'lite0-top', 'train', 25, 1500, runs=9),
    W('13', '[65]', 'Lite0 top: its test/val accuracy', 'lite0-top', 'fwd', 500, 2000, runs=5.4),
    W('13', '[71] [74]', 'over-fitting: 20 runs x 120 steps of 25 images', R18, 'train', 25, 3000, runs=20),
    W('13', '[71] [74]', 'over-fitting: accuracy per epoch (train/test/val)', R18, 'fwd', 500, 330_000, steps=775),
    W('13', '[78]', 'cached vs naive probe: 80 x 100 images + 160 head steps', {R18: 1, 'head512': 1}, 'mixed', 100, 8101, steps=82,
      amp=False),
    # -- lesson 14: masked language modelling -------------------------------------------------------------------
    W('14', '[33]', 'small BERT MLM pretraining: 3 seeds x 3,000 steps x 128 x 12 tokens', 'toybert-mlm@12', 'train', 128, 384_000,
      runs=3),
    W('14', '[33]', 'its evaluations: 36 x 1,000 sentences (31 seed 0, 1 each other seed, 3 memorisation checks) + 30 probes x 280',
      {'toybert-mlm@12': 36, 'toybert-enc@12': 30}, 'fwd', 256, 1000),
    W('14', '[44]', 'toy fine-tunes: 3 pretraining seeds x 2 starts x up to 5 LRs (3, widened by up to 2), 40 steps x 80 phrases',
      'toybert-cls@12', 'train', 80, 3200, runs=30),
    W('14', '[44]', 'toy predictions (30 x 400: val + test per run) and probes (3 seeds x 3 draws x 2 starts x 280)', {'toybert-cls@12': 60, 'toybert-enc@12': 18},
      'fwd', 256, 240),
    W('14', '[47]', 'bert-base glosses: test features 2 x 1,000 + probes 10 x 80', 'bertbase-enc@32', 'fwd', 256, 280, runs=10,
      amp=False),
    W('14', '[47]', 'bert-base fine-tunes: (2 LRs + 5 seeds) x 2 starts, 100 steps x 16', 'bertbase-cls@32', 'train', 16, 1600,
      runs=14),
    W('14', '[47]', 'their predictions: 4 x 100 val + 10 x 1,000 test glosses', 'bertbase-cls@32', 'fwd', 256, 10_400 / 14, runs=14),
    W('14', '[50]', 'IMDb MLM loss before and after: 2 x 1,000 reviews x 128', 'bertbase-mlm@128', 'fwd', 64, 1000, runs=2,
      amp=False),
    W('14', '[50]', 'domain-adaptive MLM: 600 steps x 32 reviews x 128 tokens', 'bertbase-mlm@128', 'train', 32, 19_200),
    # -- lesson 15: PEFT on SST-2, bert-base, 300 steps x 32 per run --------------------------------------------
    W('15', '[run]', 'warm-start features: 4,096 x 64 tokens (the base once per seed; prompt and prefix tuning per run)',
      peft_nets(PEFT_WARM, 64), 'fwd', 256, 4096, amp=True),  # pooled_features autocasts on a GPU
    W('15', '[run]', 'training: 300 steps x 32 sentences per run (30 runs, one literature rate per method)',
      peft_nets(PEFT_TRAIN, SST2_TRAIN_TOKENS), 'train', 32, 9600),
    W('15', '[run]', 'loss before and after: 2 x 64 sentences', peft_nets(PEFT_EVAL, SST2_EVAL_TOKENS), 'fwd', 64, 128),
    W('15', '[run] [score]', 'validation 1,000 + test 872 sentences', peft_nets(PEFT_EVAL, SST2_EVAL_TOKENS), 'fwd', 256, 1872),
    W('15', '[score]', 'forgetting: kinds probe on 300 toy sentences x 16 tokens', peft_nets(PEFT_EVAL, 16), 'fwd', 256, 300, amp=True),
]

# ---------------------------------------------------------------------------------------------------------------
# Networks at their real size, random weights; each returns (model, inputs(batch), loss(out, batch), trainable setup)
def _register_cpu_attention():
    "FlopCounterMode knows the CUDA flash/efficient attention ops, not the CPU one that runs here: same formula."
    from torch.utils.flop_counter import flop_registry
    aten = torch.ops.aten
    flop_registry.setdefault(aten._scaled_dot_product_flash_attention_for_cpu.default,
                             flop_registry[aten._scaled_dot_product_flash_attention])
    flop_registry.setdefault(aten._scaled_dot_product_flash_attention_for_cpu_backward.default,
                             flop_registry[aten._scaled_dot_product_flash_attention_backward])

def _image_net(kind, size):
    from torchvision.models import resnet18
    import timm
    from finetune_lessons.pretraining import SmallCNN
    from finetune_lessons.finetune import efficientnet_split
    if kind == 'resnet18': m, c = resnet18(num_classes=5), 3
    elif kind == 'smallcnn': m, c = SmallCNN(5), 1
    else:
        lite = timm.create_model('tf_efficientnet_lite0', pretrained=False, num_classes=5)
        if kind == 'lite0': m, c = lite, 3
        else:
            bottom, top = efficientnet_split(lite, len(lite.blocks) - 1)
            if kind == 'lite0-bottom': m, c = bottom, 3
            else: return nn.Sequential(top, nn.Linear(1280, 5)), lambda b: torch.randn(b, 192, 2, 2), 5
    return m, lambda b: torch.randn(b, c, size, size), 5

def build(key):
    "(model, make_input(batch) -> kwargs-or-tensor, loss_fn(model, x) -> scalar) for a NETS key."
    net, _, variant = key.partition(':')
    if net.startswith('head'):
        d = int(net[4:]); m = nn.Linear(d, 5)
        return m, lambda b: torch.randn(b, d), lambda m, x: F.cross_entropy(m(x), torch.zeros(len(x), dtype=torch.long))
    name, _, size = net.partition('@')
    if name in ('resnet18', 'smallcnn', 'lite0', 'lite0-bottom', 'lite0-top'):
        m, make, k = _image_net(name, int(size or 0))
        if variant:
            from finetune_lessons.finetune import freeze
            if variant == 'partial': freeze(m, upto='layer2')
            elif variant.startswith('frozen'): freeze(m, upto=f"layer{variant[6:]}")
        def loss(m, x):  # a feature map (the frozen bottom) or logits
            o = m(x)
            return o.float().pow(2).mean() if o.dim() > 2 else F.cross_entropy(o, torch.zeros(len(x), dtype=torch.long))
        return m, make, loss
    from transformers import BertConfig, BertForMaskedLM, BertModel
    from finetune_lessons.mlm import PooledClassifier, ToyLanguage, mlm_loss, small_bert
    T = int(size)
    if name.startswith('toybert'):
        vocab = len(set(ToyLanguage().words()) | {'[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'})
        mlm = small_bert(vocab, hidden=64, layers=2, heads=2, max_len=12)
        base, classes = mlm, 5
    elif name == 'bertbase-mlm': vocab, base, classes = 30522, BertForMaskedLM(BertConfig()), 2
    else: vocab, base, classes = 30522, BertModel(BertConfig()), 5
    if name.endswith('-mlm'):
        def loss(m, x):  # the lessons' mlm_loss: the prediction head only at the ~15 % chosen positions
            labels = torch.where(torch.rand(x['input_ids'].shape, generator=torch.Generator().manual_seed(0)) < 0.15, x['input_ids'], -100)
            return mlm_loss(m, x['input_ids'], labels, 0, x['attention_mask'])
        return base, _text_input(vocab, T), loss
    enc = base.bert if hasattr(base, 'bert') else base
    if name.endswith('-enc'):  # frozen mean-pooled features
        return enc, _text_input(vocab, T), lambda m, x: PooledClassifier.pool(m, x['input_ids'], x['attention_mask']).sum()
    m = PooledClassifier(enc, classes)
    return m, _text_input(vocab, T), lambda m, x: m(**x, labels=torch.zeros(len(x['input_ids']), dtype=torch.long)).loss

def _text_input(vocab, T):
    return lambda b: {'input_ids': torch.randint(5, vocab, (b, T)), 'attention_mask': torch.ones(b, T, dtype=torch.long)}

# ---------------------------------------------------------------------------------------------------------------
from torch.utils._python_dispatch import TorchDispatchMode

class OpCount(TorchDispatchMode):
    "Counts the aten ops a step dispatches: each is (at least) one kernel launch on a GPU."
    def __init__(self): super().__init__(); self.n = 0
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.n += 1
        return func(*args, **(kwargs or {}))

CNNS = {'resnet18', 'smallcnn', 'lite0', 'lite0-bottom', 'lite0-top', 'head512', 'head1280'}
PROBE_BATCH = 2  # the step is run at this batch; FLOPs scale linearly to the real one (BatchNorm needs 2)
_cache = {}

def measure(key, mode) -> tuple[float, int]:
    "(FLOPs per example, aten ops per step) of one forward ('fwd') or forward + backward ('train') step of `key`."
    from torch.utils.flop_counter import FlopCounterMode
    if (key, mode) in _cache: return _cache[key, mode]
    net, _, variant = key.partition(':')
    if variant == 'gradual':  # ULMFiT's 5 phases, equal steps: head only, then layer4, layer3, layer2 opened, then all
        phases = [measure(f"{net}:frozen4", mode), *(measure(f"{net}:frozen{k}", mode) for k in (3, 2, 1)), measure(net, mode)]
        _cache[key, mode] = (sum(f for f, _ in phases) / 5, round(sum(o for _, o in phases) / 5))
        return _cache[key, mode]
    if net == 'peft':  # 'peft:lora (ours)@40': the lesson's own peft_classifier around bert-base
        method, _, t = variant.rpartition('@')
        model, make, loss = _build_peft(method, int(t))
    else: model, make, loss = build(key)
    x = make(PROBE_BATCH)
    torch.manual_seed(0)
    with FlopCounterMode(display=False) as fc, OpCount() as oc:
        if mode == 'fwd':
            model.eval()
            with torch.no_grad(): loss(model, x)
        else:
            model.train()
            loss(model, x).backward()
    _cache[key, mode] = (fc.get_total_flops() / PROBE_BATCH, oc.n)
    return _cache[key, mode]

_peft_models = {}
def _build_peft(method, T):
    "The lesson's own peft_classifier around a random bert-base (built once per method: BertModel's init is slow)."
    from transformers import BertConfig, BertModel
    from finetune_lessons.peft import peft_classifier
    if method not in _peft_models:
        r = 1 if method == 'lora r=1' else 8
        _peft_models[method] = peft_classifier(BertModel(BertConfig()), 'lora (ours)' if method == 'lora r=1' else method, 2, r=r,
                                               virtual_tokens=20)
    return _peft_models[method], _text_input(30522, T), lambda m, x: m(**x, labels=torch.zeros(len(x['input_ids']), dtype=torch.long)).loss

# ---------------------------------------------------------------------------------------------------------------
def variant_rows(variant):
    "The workload rows of `variant` ('current' or 'proposed'), overrides applied; networks with no runs dropped."
    out = []
    for w in WORKLOADS:
        w = {**w, **(w['prop'] or {})} if variant == 'proposed' else dict(w)
        nets = w['net'] if isinstance(w['net'], dict) else {w['net']: w['runs']}
        nets = {k: r for k, r in nets.items() if r}
        if nets: out.append({**w, 'nets': nets})
    return out

def cost(w, p):
    "(FLOPs, total steps, fp32 s, 16-bit s, ops s) of a row under preset `p`."
    flops = steps_all = secs32 = secs16 = 0.0
    for key, runs in w['nets'].items():
        mode = w['mode'] if w['mode'] != 'mixed' else ('train' if key.startswith('head') else 'fwd')
        if w['mode'] == 'mixed' and key.startswith('head'):  # the probe's head: 120 steps per run on cached features
            n, steps = 120 * w['batch'], 120
        else: n, steps = w['n'], w['steps'] or math.ceil(w['n'] / w['batch'])
        f_ex, ops = measure(key, mode)
        r32, r16 = p['cnn' if key.split('@')[0].split(':')[0] in CNNS else 'transformer']
        f = f_ex * n * runs
        over = runs * steps * (ops * p['c_op'] + (p['c_train'] if mode == 'train' else p['c_fwd']))
        flops += f; steps_all += runs * steps
        secs32 += f / (r32 * 1e12) + over
        secs16 += f / (r16 * 1e12) + over
    return flops, steps_all, secs32, secs16

def report(variant, p):
    rows = variant_rows(variant)
    host = HOST_S_PROPOSED if variant == 'proposed' else HOST_S
    totals = {}
    print(f"\n## {variant.capitalize()} full profile (scale 1)\n")
    for lesson in sorted({w['lesson'] for w in rows} | set(host)):
        print(f"### Lesson {lesson}\n")
        print(f"| cell | workload | mode | PFLOP | steps | fp32 min | {p['half']} min |\n|---|---|---|---|---|---|---|")
        t32 = t16 = t_fit = 0.0
        for w in (w for w in rows if w['lesson'] == lesson):
            flops, steps, s32, s16 = cost(w, p)
            t32 += s32; t16 += s16; t_fit += s16 if w['amp'] else s32
            mark = '' if w['amp'] else ' †'
            print(f"| {w['cell']} | {w['what']}{mark} | {w['mode']} | {flops / 1e15:.3f} | {steps:,.0f} | {s32 / 60:.2f} | {s16 / 60:.2f} |")
        h = host.get(lesson, 0)
        print(f"| | host-only work (CPU, measured) | | | | {h / 60:.2f} | {h / 60:.2f} |")
        t32, t16, t_fit = (t + h for t in (t32, t16, t_fit))
        print(f"| | **total** | | | | **{t32 / 60:.1f}** | **{t16 / 60:.1f}** ({t_fit / 60:.1f} with † rows in fp32) |\n")
        totals[lesson] = (t32 / 60, t16 / 60, t_fit / 60)
    print(f"### Course, {variant}\n\n| lesson | fp32 min | {p['half']} min | {p['half']}, † rows fp32 |\n|---|---|---|---|")
    for lesson, (a, b, c) in totals.items(): print(f"| {lesson} | {a:.1f} | {b:.1f} | {c:.1f} |")
    print(f"| **course** | **{sum(a for a, _, _ in totals.values()):.1f}** | **{sum(b for _, b, _ in totals.values()):.1f}** | "
          f"**{sum(c for _, _, c in totals.values()):.1f}** |")
    return totals

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--gpu', default='t4', choices=sorted(PRESETS), help='named effective-throughput preset')
    ap.add_argument('--check', default='proposed', choices=('current', 'proposed'), help='the variant whose budget sets the exit code')
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    _register_cpu_attention()
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()
    p, start = PRESETS[args.gpu], time.perf_counter()
    print(f"# Full-profile time budget on {args.gpu.upper()}: effective TFLOPS fp32 / {p['half']} autocast {p['transformer'][0]:g} / "
          f"{p['transformer'][1]:g} for transformers, {p['cnn'][0]:g} / {p['cnn'][1]:g} for CNNs; {p['c_op'] * 1e6:g} us per aten op, {p['c_train'] * 1e3:g} ms per training step, {p['c_fwd'] * 1e3:g} ms per "
          f"forward batch\n\n† runs outside fit/pretrain_mlm (features, warm start, CPU work): fp32 unless that code gets autocast too.")
    totals = {v: report(v, p) for v in ('current', 'proposed')}
    # the check: 16-bit where the package's autocast reaches (fit, pretrain_mlm, pooled_features), fp32 for the † rows
    over = [(l, t[2]) for l, t in totals[args.check].items() if t[2] > LESSON_MAX_MIN]
    course = sum(t[2] for t in totals[args.check].values())
    print(f"\n(FLOPs counted in {time.perf_counter() - start:.0f} s on the CPU)")
    if over or course > COURSE_MAX_MIN:
        print(f"OVER BUDGET ({args.check}, {p['half']} with † rows fp32): " + ', '.join(f"lesson {l} {m:.1f} min" for l, m in over)
              + f"; course {course:.1f} min (limits {LESSON_MAX_MIN:g} per lesson, {COURSE_MAX_MIN:g} in all)", file=sys.stderr)
        return 1
    return 0

if __name__ == '__main__': sys.exit(main())
