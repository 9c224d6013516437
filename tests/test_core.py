"Package API of finetune_lessons.core: seeds, devices, parameter counts, profiles, results."
import json

import pytest
import torch

from finetune_lessons.core import (LessonError, Profile, count_params, get_device, get_profile, load_results,
                                   mean_std, results_table, save_results, set_seed)


def test_set_seed_repeats_torch_and_numpy():
    import numpy as np
    set_seed(3); a, b = torch.randn(4), np.random.rand(2)
    set_seed(3); assert torch.equal(a, torch.randn(4)) and (b == np.random.rand(2)).all()


def test_count_params_counts_shared_weights_once():
    emb = torch.nn.Embedding(10, 4)
    head = torch.nn.Linear(4, 10, bias=False)
    head.weight = emb.weight  # tied, as in language models
    model = torch.nn.ModuleList([emb, head])
    assert count_params(model) == (40, 40)
    emb.weight.requires_grad_(False)
    assert count_params(model) == (0, 40)


@pytest.mark.parametrize('value', ['tiny', 'full', 'TINY', ' auto '])
def test_profile_names(value, monkeypatch):
    monkeypatch.setenv('FINETUNE_LESSONS_PROFILE', value)
    assert get_profile().name in ('tiny', 'full')


def test_unknown_profile_is_one_clear_line(monkeypatch):
    monkeypatch.setenv('FINETUNE_LESSONS_PROFILE', 'medium')
    with pytest.raises(LessonError) as e: get_profile()
    msg = str(e.value)
    assert "unknown profile 'medium'" in msg and 'FINETUNE_LESSONS_PROFILE=tiny' in msg and '\n' not in msg


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the no-GPU path')
def test_auto_without_gpu_is_tiny_and_makes_no_network_call(monkeypatch):
    import socket
    def no_network(*a, **k): raise AssertionError('auto profile touched the network')
    monkeypatch.setattr(socket, 'create_connection', no_network)
    monkeypatch.delenv('FINETUNE_LESSONS_PROFILE', raising=False)
    assert get_profile() == Profile('tiny', 'auto: no CUDA GPU visible')


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the no-GPU path')
def test_cuda_without_gpu_says_how_to_fix():
    with pytest.raises(LessonError, match="get_device\\('cpu'\\)"): get_device('cuda')


def test_results_round_trip_and_table(tmp_path):
    save_results('lesson_x', {'acc': {'scratch': mean_std([0.5, 0.6]), 'frozen': mean_std([0.7])}},
                 profile=Profile('tiny', 'test'), seeds=[0, 1], wall_time_s=12.3456, path=tmp_path / 'lesson_x.json')
    (rec,) = load_results(tmp_path)
    assert rec['profile'] == 'tiny' and rec['seeds'] == [0, 1] and rec['wall_time_s'] == 12.35
    assert rec['metrics']['acc']['scratch']['values'] == [0.5, 0.6]
    table = results_table([rec])
    assert 'acc.scratch' in table and '0.550 ± 0.050' in table and '0.700 ± 0.000' in table


def test_results_table_when_empty(tmp_path):
    assert results_table(load_results(tmp_path)).startswith('no results yet')


def test_corrupt_results_file_names_the_fix(tmp_path):
    (tmp_path / 'broken.json').write_text('{"lesson": ')
    with pytest.raises(LessonError, match='delete it and re-run'): load_results(tmp_path)
