"""A stand-in model hub, built offline in the cache layouts the real loaders read, so the full (Colab) profile runs here.

What it writes under `root` (nothing is downloaded; the lessons call the same loaders they call on Colab):
- `hf/hub/models--google-bert--bert-base-uncased/`: a random BERT with the real uncased WordPiece vocabulary (the
  packaged MiniLM shares it), saved as `BertForPreTraining` (encoder, pooler, MLM and NSP heads, like the real checkpoint)
  under `snapshots/<commit>/` with `refs/main`; `from_pretrained(repo_id)` resolves it with HF_HUB_OFFLINE=1.
- `hf/datasets/stanfordnlp___imdb/plain_text/...` and `hf/datasets/nyu-mll___glue/sst2/...`: small datasets with the
  real schemas and splits, prepared by `datasets`' own parquet builder (what an online `load_dataset` leaves behind;
  offline, `load_dataset` reads exactly this), their parquet files beside them in the hub cache.
- `torch/hub/checkpoints/resnet18-f37072fd.pth`: random ResNet-18 weights where torchvision's weights API looks.
- `torchvision-data/oxford-iiit-pet/`: a few small cat and dog JPEGs (plain colours plus noise) with `annotations/trainval.txt`
  and `test.txt` in torchvision's layout, so `OxfordIIITPet(root, target_types='binary-category', download=False)` reads
  them (lesson 3's natural-photo experiment); `OXFORD_PETS_DIR` points at it.

The weights are random and the texts are templated, so effects that need real pretraining do not appear: the lessons
detect that with their own sanity checks (a photo, a fill-in-the-blank) and say so.

Usage: `python tests/standin_hub.py DIR [--size base]` prints the environment variables to export.
"""
from __future__ import annotations
import os, random, shutil, sys
from pathlib import Path

BERT_REPO = 'google-bert/bert-base-uncased'
COMMIT = '0' * 39 + '1'  # a fixed fake commit: the snapshot folder name and refs/main
SIZES = {'tiny': dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64),
         'base': dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)}

GOOD = ('wonderful', 'moving', 'brilliant', 'funny', 'charming', 'gripping', 'beautiful', 'clever', 'warm', 'superb')
BAD = ('dull', 'tedious', 'awful', 'boring', 'clumsy', 'predictable', 'lifeless', 'messy', 'shallow', 'weak')
NOUNS = ('film', 'movie', 'story', 'script', 'cast', 'ending', 'plot', 'performance', 'score', 'direction')
FRAMES = ('the {n} is {a}', 'a {a} {n}', 'what a {a} {n}', 'i found the {n} {a}', 'the {n} feels {a} and {b}',
          'overall a {a} {n} with a {b} {n2}')


def _sentence(rng: random.Random, positive: bool) -> str:
    words = GOOD if positive else BAD
    return rng.choice(FRAMES).format(n=rng.choice(NOUNS), n2=rng.choice(NOUNS), a=rng.choice(words), b=rng.choice(words))


def _review(rng: random.Random, positive: bool) -> str:
    return '. '.join(_sentence(rng, positive) for _ in range(rng.randint(3, 8))) + '.'


def _hub_repo(hf_home: Path, repo_id: str, kind: str = 'models') -> Path:
    "The snapshot folder of `repo_id` in the huggingface_hub cache, with refs/main pointing at it."
    repo = hf_home / 'hub' / f"{kind}--{repo_id.replace('/', '--')}"
    (repo / 'refs').mkdir(parents=True, exist_ok=True)
    (repo / 'refs' / 'main').write_text(COMMIT)
    snap = repo / 'snapshots' / COMMIT
    snap.mkdir(parents=True, exist_ok=True)
    return snap


def write_bert(hf_home: Path, size: str = 'tiny', seed: int = 0) -> Path:
    "A random BERT under the real repo id, with the real uncased vocabulary and BERT's own tokenizer settings."
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForPreTraining
    from finetune_lessons.data import minilm_dir
    snap = _hub_repo(hf_home, BERT_REPO)
    tok = AutoTokenizer.from_pretrained(minilm_dir())  # the same 30,522-token uncased WordPiece vocabulary as BERT's
    tok.model_max_length = 512
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=tok.vocab_size, max_position_embeddings=512, type_vocab_size=2,
                     architectures=['BertForMaskedLM'], **SIZES[size])
    BertForPreTraining(cfg).save_pretrained(snap)
    tok.save_pretrained(snap)
    return snap


def _prepare(hf_home: Path, repo_id: str, config: str, dataset_name: str, splits: dict, features) -> Path:
    "Parquet files in the hub cache, prepared into the datasets cache by datasets' parquet builder under `repo_id`."
    import pyarrow as pa, pyarrow.parquet as pq
    from datasets.packaged_modules.parquet.parquet import Parquet
    snap = _hub_repo(hf_home, repo_id, 'datasets') / config
    snap.mkdir(parents=True, exist_ok=True)
    files = {}
    for split, columns in splits.items():
        path = snap / f"{split}-00000-of-00001.parquet"
        pq.write_table(pa.table(columns), path)
        files[split] = [str(path)]
    build = hf_home / 'datasets-build'
    builder = Parquet(cache_dir=str(build), dataset_name=dataset_name, config_name=config, hash=COMMIT,
                      data_files=files, features=features)
    builder.download_and_prepare()
    # online, the builder is created with repo_id and the real config name: the folder is <owner>___<name>/<config>/...
    dst = hf_home / 'datasets' / f"{repo_id.split('/')[0]}___{dataset_name}" / config / '0.0.0' / COMMIT
    if dst.exists(): shutil.rmtree(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(builder.cache_dir, dst)
    shutil.rmtree(build, ignore_errors=True)
    return dst


def write_imdb(hf_home: Path, n=(200, 200, 600), seed: int = 0) -> Path:
    "stanfordnlp/imdb, config plain_text: train/test/unsupervised with `text` and `label` (neg/pos; -1 unlabelled)."
    import datasets
    rng = random.Random(seed)
    def split(k, labelled):
        labels = [i % 2 for i in range(k)] if labelled else [-1] * k
        return {'text': [_review(rng, lab == 1 if labelled else rng.random() < 0.5) for lab in labels], 'label': labels}
    features = datasets.Features({'text': datasets.Value('string'), 'label': datasets.ClassLabel(names=['neg', 'pos'])})
    return _prepare(hf_home, 'stanfordnlp/imdb', 'plain_text', 'imdb',
                    {'train': split(n[0], True), 'test': split(n[1], True), 'unsupervised': split(n[2], False)}, features)


def write_sst2(hf_home: Path, n=(400, 100, 100), seed: int = 0) -> Path:
    "nyu-mll/glue, config sst2: train/validation/test with `sentence`, `label` (negative/positive; -1 in test) and `idx`."
    import datasets
    rng = random.Random(seed + 1)
    def split(k, labelled):
        labels = [rng.randint(0, 1) for _ in range(k)]
        return {'sentence': [_sentence(rng, lab == 1) for lab in labels],
                'label': labels if labelled else [-1] * k, 'idx': list(range(k))}
    features = datasets.Features({'sentence': datasets.Value('string'),
                                  'label': datasets.ClassLabel(names=['negative', 'positive']), 'idx': datasets.Value('int32')})
    return _prepare(hf_home, 'nyu-mll/glue', 'sst2', 'glue',
                    {'train': split(n[0], True), 'validation': split(n[1], True), 'test': split(n[2], False)}, features)


def write_resnet(torch_home: Path, seed: int = 0) -> Path:
    "Random ResNet-18 weights under the file name torchvision's weights API loads from `$TORCH_HOME/hub/checkpoints`."
    from finetune_lessons.pretraining import torch_home as use_torch_home, write_stand_in_weights
    with use_torch_home(torch_home): return write_stand_in_weights('resnet18', seed=seed)


def write_oxford_pets(root: Path, per_class: int = 12, seed: int = 0) -> Path:
    "Oxford-IIIT Pet in torchvision's layout: `images/<Breed>_<n>.jpg` and `annotations/{trainval,test}.txt` (id class species breed)."
    import numpy as np
    from PIL import Image
    base = root / 'oxford-iiit-pet'
    (base / 'images').mkdir(parents=True, exist_ok=True); (base / 'annotations').mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    breeds = (('Abyssinian', 1, 1), ('beagle', 2, 2))  # (breed, class id, species: 1 cat, 2 dog), as in the real list.txt
    for split, offset in (('trainval', 0), ('test', per_class)):
        lines = []
        for breed, cls, species in breeds:
            for n in range(offset + 1, offset + per_class + 1):
                tint = np.array((200, 120, 60) if species == 1 else (60, 120, 200))
                pixels = np.clip(tint + rng.normal(0, 40, (60, 80, 3)), 0, 255).astype(np.uint8)  # 80x60, landscape like many photos
                Image.fromarray(pixels).save(base / 'images' / f"{breed}_{n}.jpg", quality=90)
                lines.append(f"{breed}_{n} {cls} {species} 1")
        (base / 'annotations' / f"{split}.txt").write_text('\n'.join(lines) + '\n')
    return base


def build(root: Path | str, size: str = 'tiny') -> dict[str, str]:
    "Write the whole stand-in hub under `root`; returns the environment variables that point the loaders at it."
    if size not in SIZES: raise ValueError(f"size {size!r}: use one of {', '.join(SIZES)}")
    root = Path(root)
    hf_home, torch_home = root / 'hf', root / 'torch'
    env = {'HF_HOME': str(hf_home), 'HF_DATASETS_CACHE': str(hf_home / 'datasets'), 'TORCH_HOME': str(torch_home),
           'HF_HUB_OFFLINE': '1', 'HF_DATASETS_OFFLINE': '1', 'OXFORD_PETS_DIR': str(root / 'torchvision-data')}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # datasets reads its cache folder from the environment
    try:
        write_bert(hf_home, size)
        write_imdb(hf_home)
        write_sst2(hf_home)
        write_resnet(torch_home)
        write_oxford_pets(root / 'torchvision-data')
    finally:
        for k, v in old.items():
            if v is None: os.environ.pop(k, None)
            else: os.environ[k] = v
    return env


if __name__ == '__main__':
    if len(sys.argv) < 2: sys.exit(__doc__.split('Usage: ')[1])
    size = sys.argv[sys.argv.index('--size') + 1] if '--size' in sys.argv else 'tiny'
    for k, v in build(sys.argv[1], size).items(): print(f"export {k}={v}")
