"Package API of finetune_lessons.core: seeds, devices, parameter counts, profiles, results."
import pytest
import torch

from finetune_lessons.core import (SCALE_ENV, WEIGHTS_ENV, LessonError, Profile, WeightsSource, claims_checked, count_params,
                                   eval_mode, get_device, get_profile, imagenet_source, load_results, mean_std, published_weights,
                                   results_table, save_results, set_seed)


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
    monkeypatch.delenv(SCALE_ENV, raising=False)
    monkeypatch.setenv(WEIGHTS_ENV, 'packaged')  # the weights' own probe (download.pytorch.org) is tested below
    assert get_profile() == Profile('tiny', 'auto: no CUDA GPU visible', 1.0, WeightsSource('packaged', f'asked for by {WEIGHTS_ENV}'))


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
    assert 'acc.scratch' in table and '0.550 ± 0.071' in table and '0.700 (1 run)' in table


def test_results_table_when_empty(tmp_path):
    assert results_table(load_results(tmp_path)).startswith('no results yet')


def test_corrupt_results_file_names_the_fix(tmp_path):
    (tmp_path / 'broken.json').write_text('{"lesson": ')
    with pytest.raises(LessonError, match='delete it and re-run'): load_results(tmp_path)


def test_profile_reads_every_switch_once(monkeypatch):
    monkeypatch.setenv(SCALE_ENV, '0.1')
    monkeypatch.setenv(WEIGHTS_ENV, 'hub')
    full, tiny = get_profile('full'), get_profile('tiny')
    monkeypatch.setenv(SCALE_ENV, 'half')  # later changes do not reach a resolved profile
    monkeypatch.setenv(WEIGHTS_ENV, 'packaged')
    assert (full.scale, tiny.scale) == (0.1, 1.0) and full.weights == tiny.weights == WeightsSource('hub', f'asked for by {WEIGHTS_ENV}')
    assert (full.scaled(3000), full.scaled(5, minimum=2), tiny.scaled(3000)) == (300, 2, 3000)
    assert 'steps and data scaled by 0.1' in full.reason
    with pytest.raises(LessonError, match=r"FINETUNE_LESSONS_SCALE='half': use a number in \(0, 1\]"): get_profile('tiny')
    monkeypatch.setenv(SCALE_ENV, '1')
    monkeypatch.setenv(WEIGHTS_ENV, 'imagenet')
    with pytest.raises(LessonError, match='use auto, hub or packaged'): get_profile('tiny')


def test_claims_checked_reads_the_profiles_scale():
    said = []
    assert claims_checked(Profile('full', 'x')) and claims_checked(Profile('tiny', 'x', 0.5), published=False)
    assert not claims_checked(Profile('full', 'x', 0.5), echo=said.append)
    assert said == ['findings are shown, not asserted: FINETUNE_LESSONS_SCALE=0.5 shrinks the run']


def test_weights_auto_without_network_or_cached_file_is_packaged(tmp_path, monkeypatch):
    import finetune_lessons.core as core
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    monkeypatch.setattr(core, 'hub_reachable', lambda host='': False)
    assert imagenet_source(Profile('tiny', 'x'), 'auto').name == 'packaged'
    assert imagenet_source(Profile('full', 'x'), 'auto').name == 'hub'
    monkeypatch.setattr(core, 'hub_reachable', lambda host='': host == 'download.pytorch.org')
    assert imagenet_source(Profile('tiny', 'x'), 'auto').name == 'hub'


def test_published_weights_checks_the_hash_in_the_name(tmp_path):
    import hashlib
    good = tmp_path / f"w-{hashlib.sha256(b'abc').hexdigest()[:8]}.pth"
    bad = tmp_path / 'w-00000000.pth'
    for f in (good, bad): f.write_bytes(b'abc')
    assert published_weights(good) and not published_weights(bad) and not published_weights(tmp_path / 'missing-12345678.pth')


def test_eval_mode_restores_each_submodule_even_on_error():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
    net[1].eval()
    with pytest.raises(ValueError):
        with eval_mode(net):
            assert not net.training and not net[0].training
            raise ValueError('boom')
    assert [m.training for m in net.modules()] == [True, True, False]
