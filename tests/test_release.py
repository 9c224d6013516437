"The Colab path's promise: each lesson's badge and install cell open and install the release settings.ini names."
import importlib.util, json, re, shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('release', ROOT / 'tools' / 'release.py')
release = importlib.util.module_from_spec(spec); spec.loader.exec_module(release)


def test_every_lesson_installs_and_opens_the_settings_release():
    assert release.problems() == []
    version = release.settings()['version']
    for name in release.LESSONS:
        text = (ROOT / 'nbs' / f'{name}.ipynb').read_text()
        assert f"blob/v{version}/nbs/{name}.ipynb" in text
        assert f"git+https://github.com/finetune-lessons/finetune-lessons@v{version}" in text


def test_all_lesson_notebooks_are_covered():
    lessons = sorted(p.stem for p in (ROOT / 'nbs').glob('1[0-9]_*.ipynb'))
    assert lessons == sorted(release.LESSONS)


@pytest.fixture
def copy_of_repo(tmp_path):
    for f in ('settings.ini', 'README.md'): shutil.copy(ROOT / f, tmp_path / f)
    shutil.copytree(ROOT / 'nbs', tmp_path / 'nbs', ignore=shutil.ignore_patterns('*.py', '.ipynb_checkpoints'))
    return tmp_path


def test_a_notebook_that_disagrees_is_named(copy_of_repo):
    nb_path = copy_of_repo / 'nbs' / '15_peft.ipynb'
    nb_path.write_text(nb_path.read_text().replace(f"@{release.ref()}", '@v0.0.1'))  # a stale install line
    bad = release.problems(copy_of_repo)
    assert len(bad) == 1 and bad[0].startswith('15_peft: the first code cell')


def test_a_version_bump_needs_a_rewrite_and_write_fixes_it(copy_of_repo):
    ini = copy_of_repo / 'settings.ini'
    ini.write_text(re.sub(r'^version = .*$', 'version = 9.8.7', ini.read_text(), flags=re.M))
    assert release.ref(copy_of_repo) == 'v9.8.7'
    assert len(release.problems(copy_of_repo)) >= len(release.LESSONS)  # every badge and install line is stale
    release.write(copy_of_repo)
    assert release.problems(copy_of_repo) == []
    nb = json.loads((copy_of_repo / 'nbs' / '16_scaling_out.ipynb').read_text())
    first = next(''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code')
    assert '@v9.8.7"' in first and 'google.colab' in first


def test_setup_cell_installs_offline_extras_and_data_only_where_the_lesson_reads_them():
    cell = release.setup_cell('13_freeze_vs_finetune')
    assert "tiny = not torch.cuda.is_available()" in cell and '[offline]' not in cell  # lesson 3 never reads MiniLM
    assert '    if tiny:' in cell and '        !apt-get' in cell and 'dataset-fashion-mnist' in cell  # the full profile downloads it
    peft = release.setup_cell('15_peft')
    assert "extra = '[offline]' if tiny else ''" in peft and 'finetune-lessons{extra} @' in peft  # MiniLM only without a GPU
    assert 'apt-get' not in peft                                          # SST-2 (full) and the toy task (tiny): no Debian data
    assert '    !apt-get' in release.setup_cell('14_masked_lm')            # WordNet and fortunes: both profiles read them
    appendix = release.setup_cell('16_scaling_out')
    assert '[offline]' not in appendix and 'apt-get' not in appendix and 'tiny' not in appendix  # it reads no data at all
