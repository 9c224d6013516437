#!/usr/bin/env bash
# Colab, simulated: a fresh venv that already has torch (as Colab does) runs each lesson's own setup-cell pip command,
# with the GitHub URL swapped for this clone's HEAD (no network here). Checks torch is left untouched, then runs
# each lesson's first cells (through its imports and profile choice) with the installed package, not the repo's.
# Usage: bash .ci/colab_check.sh   (needs about 7 GB of disk for the venv, removed at the end; a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
sim=$(mktemp -d /tmp/colabsim.XXXX)
trap 'rm -rf "$sim"' EXIT
python3 -m venv "$sim/venv"
py="$sim/venv/bin/python"
"$py" -m pip install -q --upgrade pip
echo "== the 'Colab' venv: torch preinstalled, plus Jupyter's kernel"
"$py" -m pip install -q torch==2.14.1 torchvision==0.29.1 ipykernel nbclient nbformat
stamp() { "$py" -c "import torch, os; print(torch.__version__, os.path.getmtime(torch.__file__))"; }
before=$(stamp)

echo "== each lesson's setup cell, pointed at this clone"
cmd=$("$py" - "$repo" <<'EOF'
import json, re, sys
from pathlib import Path
cmds = set()
for nb in sorted(Path(sys.argv[1], 'nbs').glob('1[1-5]_*.ipynb')):
    cells = [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']
    setup = next((c for c in cells if 'google.colab' in c), None)
    if setup is None: sys.exit(f"{nb.name}: no Colab setup cell")
    cmds |= set(re.findall(r'%pip install (.+)', setup))
if len(cmds) != 1: sys.exit(f"lessons disagree on the install command: {cmds}")
print(cmds.pop())
EOF
)
echo "setup cell: %pip install $cmd"
commit=$(git rev-parse HEAD)
local_cmd=$(echo "$cmd" | sed -E "s#git\+https://github.com/[^\"@]+(@[^\"]+)?#git+file://$repo@$commit#")
echo "here:       pip install $local_cmd"
eval "\"$py\" -m pip install -q $local_cmd"
after=$(stamp)
echo "torch before: $before"
echo "torch after:  $after"
[ "$before" = "$after" ] || { echo "colab_check: the setup cell replaced torch" >&2; exit 1; }

echo "== finetune-lessons doctor, from the install"
(cd "$sim" && "$sim/venv/bin/finetune-lessons" doctor | tail -7)

echo "== each lesson's first cells, in the 'Colab' venv"
"$py" -m ipykernel install --prefix "$sim/venv" --name colabsim >/dev/null
(cd "$sim" && HF_HUB_OFFLINE=1 FINETUNE_LESSONS_PROFILE=tiny "$py" - "$repo" <<'EOF'
import sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient
for path in sorted(Path(sys.argv[1], 'nbs').glob('1[1-5]_*.ipynb')):
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
