"The console script: doctor, run, results, and its one-line errors."
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from finetune_lessons import cli

ROOT = Path(__file__).resolve().parents[1]


def _script(*args, **kw):
    exe = Path(sys.executable).with_name('finetune-lessons')
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300, **kw)


def test_doctor_reports_profile_and_sources():
    r = _script('doctor', cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    for needle in ('torch', 'profile', 'weights      ImageNet weights: ', 'fashion-mnist', 'wordnet', 'fortunes', 'minilm', 'ready for the tiny profile'):
        assert needle in r.stdout


def test_doctor_reads_the_profile_and_imports_no_lesson_module():
    code = ("import sys; from finetune_lessons import cli; lines = []; cli.doctor(echo=lines.append); "
            "print([m for m in sys.modules if m.startswith('finetune_lessons.')]); print(lines)")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    modules, lines = r.stdout.splitlines()[-2:]
    assert not any(f"'finetune_lessons.{m}'" in modules for m in ('pretraining', 'features', 'finetune', 'mlm', 'peft')), modules
    assert 'SHA-256 checked' in lines and 'data.noun' in lines  # the packaged ImageNet file and WordNet, found via data's public API


def test_unknown_lesson_is_one_line_exit_2():
    r = _script('run', 'cats_and_dogs', cwd=ROOT)
    assert r.returncode == 2 and r.stderr.count('\n') == 1 and "unknown lesson 'cats_and_dogs'" in r.stderr
    assert 'Traceback' not in r.stderr


def test_bad_profile_env_is_one_line(monkeypatch):
    import os
    env = {**os.environ, 'FINETUNE_LESSONS_PROFILE': 'huge'}
    r = _script('run', '--nbs', str(ROOT / 'nbs'), cwd=ROOT, env=env)
    assert r.returncode == 2 and "unknown profile 'huge'" in r.stderr and 'Traceback' not in r.stderr


def _fake_lesson(folder: Path, slug: str, code: str, number: int = 15):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'python3', 'language': 'python'}
    nbformat.write(nb, folder / f'{number}_{slug}.ipynb')


def test_run_executes_saves_copy_and_results(tmp_path, monkeypatch):
    nbs, out, res = tmp_path / 'nbs', tmp_path / 'runs', tmp_path / 'results'
    nbs.mkdir()
    monkeypatch.setenv('FINETUNE_LESSONS_RESULTS', str(res))
    _fake_lesson(nbs, 'peft', "from finetune_lessons.core import *\n"
                 "save_results('peft', {'acc': mean_std([0.5, 0.7])}, profile=get_profile(), seeds=[0, 1])")
    lines = []
    done = cli.run_lessons(['peft'], 'tiny', nbs, out, echo=lines.append)
    assert done == [out / '15_peft.ipynb'] and done[0].exists()
    assert json.loads((res / 'peft.json').read_text())['profile'] == 'tiny'
    assert lines[0].startswith('profile: tiny')


_RENDEZVOUS = '''import time, pathlib
mine, other = pathlib.Path({mine!r}), pathlib.Path({other!r})
mine.touch()
for _ in range(600):  # each lesson waits for the other to start: only possible when they run at the same time
    if other.exists(): break
    time.sleep(0.1)
else: raise TimeoutError('the other lesson never started')
'''


def test_two_jobs_run_lessons_at_once_and_report_a_failure(tmp_path):
    nbs, out = tmp_path / 'nbs', tmp_path / 'runs'
    nbs.mkdir()
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    _fake_lesson(nbs, 'masked_lm', _RENDEZVOUS.format(mine=a, other=b), number=14)
    _fake_lesson(nbs, 'peft', _RENDEZVOUS.format(mine=b, other=a) + "raise ValueError('boom')")
    with pytest.raises(cli.LessonError, match="15_peft.ipynb failed: ValueError: boom") as e:
        cli.run_lessons([], 'tiny', nbs, out, jobs=2, echo=lambda s: None)
    assert '14_masked_lm' not in str(e.value)  # the lesson that passed is not reported as failed
    assert (out / '14_masked_lm.ipynb').exists() and (out / '15_peft.ipynb').exists()


def test_failing_lesson_keeps_executed_copy(tmp_path):
    nbs, out = tmp_path / 'nbs', tmp_path / 'runs'
    nbs.mkdir()
    _fake_lesson(nbs, 'peft', "raise ValueError('boom')")
    with pytest.raises(cli.LessonError, match="15_peft.ipynb failed: ValueError: boom") as e:
        cli.run_lessons(['peft'], 'tiny', nbs, out, echo=lambda s: None)
    assert (out / '15_peft.ipynb').exists() and 'executed copy kept' in str(e.value)


def test_docs_site_builds_offline(tmp_path):
    r = _script('docs', '--out', str(tmp_path / 'site'), cwd=ROOT)
    assert r.returncode == 0, r.stderr[-1000:]
    pages = {p.name for p in (tmp_path / 'site').glob('*.html')}
    assert {'index.html', '11_imagenet_pretraining.html', '15_peft.html'} <= pages
    lesson = (tmp_path / 'site' / '12_cnn_features.html').read_text()
    assert 'data:image/png;base64' in lesson  # the stored plots are in the page
    api = tmp_path / 'site' / 'api'
    assert {'index.html', 'train.html', 'peft.html'} <= {p.name for p in api.glob('*.html')}
    assert 'href="api/index.html"' in (tmp_path / 'site' / 'index.html').read_text()  # linked from the home page
    assert 'href="../02_train.html"' in (api / 'train.html').read_text()  # a module page links to its notebook
    train_page = (api / 'train.html').read_text()
    assert 'loss_fn=cross_entropy' in train_page and not any(' at 0x' in f.read_text() for f in api.glob('*.html'))  # names, not addresses


def test_results_shows_headline_metrics_and_all_on_request(tmp_path, monkeypatch, capsys):
    from finetune_lessons.core import Profile, mean_std, save_results
    monkeypatch.setenv('FINETUNE_LESSONS_RESULTS', str(tmp_path))
    save_results('peft', {'table': {'full': {'accuracy': mean_std([0.6, 0.7]), 'lr': 0.001}}}, profile=Profile('tiny', 'test'),
                 headline=['table.*.accuracy'])
    assert cli.main(['results']) == 0
    short = capsys.readouterr().out
    assert 'table.full.accuracy' in short and '0.650 ± 0.071' in short and 'table.full.lr' not in short
    assert cli.main(['results', '--all']) == 0
    assert 'table.full.lr' in capsys.readouterr().out


def test_cell_timeout_is_one_line_and_keeps_the_copy(tmp_path):
    nbs, out = tmp_path / 'nbs', tmp_path / 'runs'
    nbs.mkdir()
    _fake_lesson(nbs, 'peft', "import time; time.sleep(30)")
    with pytest.raises(cli.LessonError, match="15_peft.ipynb stopped: CellTimeoutError: a cell ran over 2 s: raise it with --timeout") as e:
        cli.run_lessons(['peft'], 'tiny', nbs, out, timeout=2, echo=lambda s: None)
    assert (out / '15_peft.ipynb').exists() and '\n' not in str(e.value)
