"mask_tokens statistics and edge cases; MLM helpers; the full-profile loader path on a checkpoint in the hub-cache layout."
import subprocess
import sys
import textwrap

import pytest
import torch

from finetune_lessons.core import LessonError
from finetune_lessons.mlm import (PooledClassifier, ToyLanguage, decay_groups, encode, fill_mask, mask_tokens, mlm_eval_loss, mlm_loss,
                                  pretrain_mlm, small_bert, train_wordpiece, unigram_cross_entropy)

PAD, CLS, SEP, MASK, V = 0, 101, 102, 103, 30522
KW = dict(mask_token_id=MASK, vocab_size=V, special_token_ids=(PAD, CLS, SEP))


def _batch(n=2000, length=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1000, V, (n, length), generator=g)
    ids[:, 0], ids[:, -1] = CLS, SEP
    ids[:, 40:-1] = PAD  # padding in every row
    return ids


def test_statistics_15_and_80_10_10():
    ids = _batch()
    masked, labels = mask_tokens(ids, generator=torch.Generator().manual_seed(1), **KW)
    real = ~torch.isin(ids, torch.tensor([PAD, CLS, SEP]))
    chosen = labels != -100
    assert abs(chosen.sum() / real.sum() - 0.15) < 0.005
    m = (masked[chosen] == MASK).float().mean()
    same = (masked[chosen] == ids[chosen]).float().mean()
    assert abs(m - 0.8) < 0.01 and abs(same - 0.1) < 0.01 and abs(1 - m - same - 0.1) < 0.01


def test_labels_hold_originals_only_at_chosen_positions_and_input_untouched():
    ids = _batch(50)
    copy = ids.clone()
    masked, labels = mask_tokens(ids, generator=torch.Generator().manual_seed(2), **KW)
    assert torch.equal(ids, copy)
    chosen = labels != -100
    assert torch.equal(labels[chosen], ids[chosen])
    assert torch.equal(masked[~chosen], ids[~chosen])  # unchosen positions never change


def test_special_and_padding_never_chosen():
    ids = _batch(500)
    _, labels = mask_tokens(ids, mlm_probability=0.9, generator=torch.Generator().manual_seed(3), **KW)
    assert (labels[torch.isin(ids, torch.tensor([PAD, CLS, SEP]))] == -100).all()


def test_all_special_rows_stay_unmasked():
    ids = torch.tensor([[CLS, SEP, PAD, PAD], [CLS, 2000, SEP, PAD]])
    masked, labels = mask_tokens(ids, mlm_probability=1.0, generator=torch.Generator().manual_seed(0), **KW)
    assert (labels[0] == -100).all() and torch.equal(masked[0], ids[0])
    assert labels[1, 1] == 2000  # the one real token is chosen at p=1


def test_same_generator_seed_same_result_and_edge_probabilities():
    ids = _batch(20)
    a = mask_tokens(ids, generator=torch.Generator().manual_seed(5), **KW)
    b = mask_tokens(ids, generator=torch.Generator().manual_seed(5), **KW)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    _, none = mask_tokens(ids, mlm_probability=0.0, **KW)
    assert (none == -100).all()
    with pytest.raises(LessonError, match='between 0 and 1'): mask_tokens(ids, mlm_probability=1.5, **KW)
    with pytest.raises(LessonError, match='integer token ids'): mask_tokens(ids.float(), **KW)


def test_matches_transformers_collator():
    from transformers import BertTokenizerFast, DataCollatorForLanguageModeling
    from finetune_lessons.data import minilm_dir
    tok = BertTokenizerFast.from_pretrained(minilm_dir())
    ids = torch.tensor(tok(['the quick brown fox jumps over the lazy dog ' * 6] * 400, truncation=True, max_length=64)['input_ids'])
    ours = mask_tokens(ids, mask_token_id=tok.mask_token_id, vocab_size=tok.vocab_size, special_token_ids=tok.all_special_ids,
                       generator=torch.Generator().manual_seed(0))[1]
    torch.manual_seed(0)
    theirs = DataCollatorForLanguageModeling(tok, mlm_probability=0.15)([{'input_ids': r} for r in ids])['labels']
    assert abs((ours != -100).float().mean() - (theirs != -100).float().mean()) < 0.01


def test_tiny_pretraining_beats_unigram_on_a_repetitive_corpus():
    texts = ['the cat sat on the mat', 'the dog sat on the log', 'a bird sang in the tree'] * 200
    tok = train_wordpiece(texts, vocab_size=80)
    ids = encode(tok, texts, 10)
    ev = mask_tokens(ids[:100], mask_token_id=tok.mask_token_id, vocab_size=tok.vocab_size,
                     special_token_ids=tok.all_special_ids, generator=torch.Generator().manual_seed(0))
    model = small_bert(tok.vocab_size, hidden=32, layers=1, heads=2, max_len=16)
    hist = pretrain_mlm(model, ids, tok, steps=150, batch_size=32, lr=3e-3, progress=False)
    assert mlm_eval_loss(model, *ev, tok.pad_token_id) < unigram_cross_entropy(ids, ev[1], tok.vocab_size, tok.all_special_ids)
    assert hist['train_loss'][-1] < hist['train_loss'][0]
    assert fill_mask(model, tok, 'the cat sat on the [MASK]')[0][0] in ('mat', 'log')


def test_mean_pool_ignores_padding():
    model = small_bert(50, hidden=16, layers=1).bert.eval()
    clf = PooledClassifier(model, 3, dropout=0.0).eval()
    x = torch.tensor([[2, 7, 8, 3]]); xp = torch.tensor([[2, 7, 8, 3, 0, 0]])
    with torch.no_grad():
        a = clf(x, torch.ones_like(x)).logits
        b = clf(xp, (xp != 0).long()).logits
    assert torch.allclose(a, b, atol=1e-5)


def test_full_profile_loader_reads_a_checkpoint_in_the_hub_cache_layout(tmp_path):
    "google-bert/bert-base-uncased is loaded by name, offline, from a locally made checkpoint in the real cache layout."
    script = textwrap.dedent(f"""
        import os, torch
        os.environ['HF_HOME'] = {str(tmp_path)!r}; os.environ['HF_HUB_OFFLINE'] = '1'
        from pathlib import Path
        from transformers import AutoModelForMaskedLM
        from finetune_lessons.data import load_pretrained
        from finetune_lessons.mlm import train_wordpiece, small_bert, encode, mask_tokens, pretrain_mlm, mlm_eval_loss, fill_mask
        tok = train_wordpiece(['the cat sat on the mat'] * 50, vocab_size=40)
        snap = Path({str(tmp_path)!r}) / 'hub' / 'models--google-bert--bert-base-uncased' / 'snapshots' / ('0' * 40)
        small_bert(tok.vocab_size, hidden=16, layers=1).save_pretrained(snap); tok.save_pretrained(snap)
        (snap.parent.parent / 'refs').mkdir(); (snap.parent.parent / 'refs' / 'main').write_text('0' * 40)
        t, m = load_pretrained('google-bert/bert-base-uncased', AutoModelForMaskedLM)
        ids = encode(t, ['the cat sat on the mat'] * 8, 10)
        ev = mask_tokens(ids, mask_token_id=t.mask_token_id, vocab_size=t.vocab_size, special_token_ids=t.all_special_ids,
                         mlm_probability=0.5, generator=torch.Generator().manual_seed(0))
        before = mlm_eval_loss(m, *ev, t.pad_token_id)
        pretrain_mlm(m, ids, t, steps=30, batch_size=8, lr=1e-2, progress=False)
        assert mlm_eval_loss(m, *ev, t.pad_token_id) < before
        print('ok', type(m).__name__, fill_mask(m, t, 'the cat [MASK] on the mat', k=1))
    """)
    r = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and 'ok BertForMaskedLM' in r.stdout, r.stdout + r.stderr[-2000:]


def test_toy_language_is_seeded_closed_and_split_by_noun():
    lang = ToyLanguage()
    assert lang.corpus(50, seed=3) == lang.corpus(50, seed=3) != lang.corpus(50, seed=4)
    tok = lang.tokenizer()
    ids = encode(tok, lang.corpus(500, seed=0), 12)
    assert tok.unk_token_id not in ids and (ids[:, -1] == tok.pad_token_id).all()  # every sentence fits, with room
    train, val, test = lang.noun_split(seed=7)
    for c in lang.class_names:
        assert len(train[c]) == 4 and len(val[c]) == 2 and len(test[c]) == 4
        assert not (set(train[c]) | set(val[c])) & set(test[c])
    texts, labels = lang.phrases(test, 3, seed=1)
    assert len(texts) == 15 and labels.tolist() == sorted(labels.tolist())
    assert all(any(n in t.split() for n in test[lang.class_names[y]]) for t, y in zip(texts, labels.tolist()))


def test_decay_groups_spare_embeddings_norms_and_biases():
    model = small_bert(40, hidden=16, layers=1)
    decayed, spared = decay_groups(model, 0.01)
    names = {id(p): n for n, p in model.named_parameters()}
    assert decayed['weight_decay'] == 0.01 and spared['weight_decay'] == 0.0
    assert all(p.ndim >= 2 and 'embeddings' not in names[id(p)] for p in decayed['params'])
    assert any('LayerNorm' in names[id(p)] for p in spared['params']) and any('word_embeddings' in names[id(p)] for p in spared['params'])
    assert len(decayed['params']) + len(spared['params']) == len(list(model.parameters()))


def test_eval_loss_takes_the_attention_mask_from_the_original_ids():
    "A random replacement that drew [PAD]'s id must still be attended to: the mask comes from the original ids."
    torch.manual_seed(0)
    model = small_bert(30, hidden=16, layers=1, dropout=0.0).eval()
    orig = torch.randint(5, 30, (2, 8))
    masked, labels = orig.clone(), torch.full_like(orig, -100)
    masked[0, 3], labels[0, 3] = 0, orig[0, 3]  # position 3 chosen and replaced by id 0 ([PAD])
    expected = mlm_loss(model, masked, labels, 0, attention_mask=torch.ones_like(orig))
    assert abs(mlm_eval_loss(model, masked, labels, 0) - float(expected)) < 1e-6
    assert abs(float(mlm_loss(model, masked, labels, 0)) - float(expected)) > 1e-6  # a mask from the corrupted ids differs


def test_pretrain_mlm_precision_choice():
    "fp32 on the CPU by default; bf16 autocast runs on a CPU too; fp16 refuses without a GPU; a bad name says what to use."
    toks = [f"w{i % 7} w{(i * 3) % 7} w{(i * 5) % 7}" for i in range(64)]
    tok = train_wordpiece(toks, 60)
    ids = encode(tok, toks, 8)
    model = small_bert(tok.vocab_size, hidden=16, layers=1, heads=2, max_len=8)
    hist = pretrain_mlm(model, ids, tok, steps=3, batch_size=8, progress=False, mixed_precision='bf16')
    assert len(hist['train_loss']) == 3 and all(l == l for l in hist['train_loss'])  # ran, no NaN
    if not torch.cuda.is_available():
        with pytest.raises(LessonError, match='needs a CUDA GPU'):
            pretrain_mlm(model, ids, tok, steps=1, progress=False, mixed_precision='fp16')
    with pytest.raises(LessonError, match="use 'auto', 'no', 'fp16' or 'bf16'"):
        pretrain_mlm(model, ids, tok, steps=1, progress=False, mixed_precision='fp8')
