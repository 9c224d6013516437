"""The full (Colab) profile, end to end on the CPU: each lesson notebook (11-16) runs with FINETUNE_LESSONS_PROFILE=full
against a stand-in hub built offline in the real cache layouts (tests/standin_hub.py), shrunk by FINETUNE_LESSONS_SCALE.

The lessons call the same loaders they call on Colab (torchvision's weights API, `from_pretrained('google-bert/...')`,
`load_dataset('nyu-mll/glue', 'sst2')`); only the files in the caches are small stand-ins. Any error fails the test.
"""
import json

import pytest

from finetune_lessons.cli import _execute, lesson_notebooks, nbs_dir
from standin_hub import build

pytestmark = pytest.mark.full_profile  # minutes of CPU: run with --complete, as CI does
SCALE = '0.02'  # a fiftieth of the full profile's steps and data: each lesson's full path in well under two minutes
NOTEBOOKS = sorted(p.name for p in nbs_dir().glob('1[1-6]_*.ipynb'))


@pytest.fixture(scope='module')
def standin(tmp_path_factory):
    "The stand-in hub (built once per test module) and a cache and results folder of the run's own."
    root = tmp_path_factory.mktemp('standin_hub')
    return root, build(root)


@pytest.fixture
def full_env(standin, monkeypatch):
    root, env = standin
    for k, v in env.items(): monkeypatch.setenv(k, v)
    monkeypatch.setenv('FINETUNE_LESSONS_PROFILE', 'full')
    monkeypatch.setenv('FINETUNE_LESSONS_SCALE', SCALE)
    monkeypatch.setenv('FINETUNE_LESSONS_CACHE', str(root / 'course-cache'))
    monkeypatch.setenv('FINETUNE_LESSONS_RESULTS', str(root / 'results'))
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    return root


def test_every_lesson_notebook_has_a_full_profile_test():
    lessons = {p.name for p in lesson_notebooks().values()}
    assert lessons <= set(NOTEBOOKS) and len(NOTEBOOKS) == 6, NOTEBOOKS


@pytest.mark.parametrize('name', NOTEBOOKS)
def test_lesson_runs_in_the_full_profile(name, full_env):
    src = nbs_dir() / name
    out = full_env / 'executed' / name
    out.parent.mkdir(exist_ok=True)
    _execute(src, out, timeout=600)  # raises LessonError naming the failing cell's error
    text = out.read_text()
    assert 'profile: full (asked for by FINETUNE_LESSONS_PROFILE' in text
    if name[:2] == '11':  # lesson 1 says which ImageNet weights, and why (lessons 2-3 name their fixed networks instead)
        assert 'ImageNet weights: ResNet-18 from the torchvision hub (auto: the full profile uses the hub)' in text
    if name[:2] in ('12', '13'): assert 'ImageNet networks in this lesson:' in text and 'ImageNet weights:' not in text
    if name[:2] == '13':  # the source's cat/dog photos: the stand-in Oxford-IIIT Pet, read by torchvision's own class
        assert 'Oxford-IIIT Pet, cats vs dogs at 128 px' in text and 'pets_cat_vs_dog' in (full_env / 'results' / 'freeze_vs_finetune.json').read_text()
    if name[:2] == '14':  # lesson 4's design in the full profile: the generator's floor on the miniature, none claimed for real text
        assert 'generator floor (Bayes-optimal)' in text and 'no floor is printed for real text' in text
    slug = name.split('_', 1)[1].removesuffix('.ipynb')
    if slug in {p.stem.split('_', 1)[1] for p in lesson_notebooks().values()}:  # lessons write their results
        record = json.loads((full_env / 'results' / f"{slug}.json").read_text())
        assert record['profile'] == 'full' and record['device'] == 'cpu', record['profile_reason']
        if slug == 'masked_lm':  # pretraining seeds with paired controls, and the counting baseline on the same probe
            m = record['metrics']
            assert len(m['pretraining_seeds']) >= 3 and m['pretraining_gain']['probe']['n'] == len(m['pretraining_seeds'])  # one value per pretraining seed
            assert {'probe', 'fine-tune', 'input embeddings'} <= set(m['counts_gain'])
            assert {'probe', 'fine-tune'} <= set(m['real_text']['gain_vs_counts']) and len(m['real_text']['counts_accuracy']) == 2  # real text: (d) against word counts


def test_hub_weights_at_the_tiny_scale(full_env, monkeypatch):
    "A CPU laptop with a network: the tiny profile's compute, with torchvision's ResNet-18 (here the stand-in file) for the photos."
    monkeypatch.setenv('FINETUNE_LESSONS_PROFILE', 'tiny')
    monkeypatch.setenv('FINETUNE_LESSONS_WEIGHTS', 'hub')
    src = nbs_dir() / '11_imagenet_pretraining.ipynb'
    out = full_env / 'executed' / 'tiny_hub_11.ipynb'
    out.parent.mkdir(exist_ok=True)
    _execute(src, out, timeout=600)
    text = out.read_text()
    assert 'ImageNet weights: ResNet-18 from the torchvision hub (asked for by FINETUNE_LESSONS_WEIGHTS)' in text
    record = json.loads((full_env / 'results' / 'imagenet_pretraining.json').read_text())
    assert record['profile'] == 'tiny' and record['metrics']['imagenet_model'] == 'ResNet-18'
    assert record['metrics']['imagenet_weights'] == 'stand-in (random)'  # the stand-in file is not the published one
