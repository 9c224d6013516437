#!/usr/bin/env bash
# Set up finetune-lessons on a fresh Debian/Ubuntu machine: offline data packages, a .venv, the package + dev tools.
# Usage: bash setup.sh        (re-running is safe and quick)
set -euo pipefail
cd "$(dirname "$0")"

# 1. Offline data from Debian (Fashion-MNIST, WordNet, fortunes). Needs root or sudo; skipped if present.
need=()
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
[ -f /usr/share/wordnet/data.noun ] || need+=(wordnet-base)
[ -d /usr/share/games/fortunes ] || need+=(fortunes)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else sudo="none"; fi
  if [ "$sudo" = none ] || ! command -v apt-get >/dev/null; then
    echo "setup.sh: please install these Debian/Ubuntu packages yourself: ${need[*]}" >&2
  else
    echo "installing ${need[*]} ..."
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

# 2. A virtual environment with the package (editable) and its dev tools.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  # PyPI's Linux torch wheel is a CUDA build: the venv takes about 6.5 GB, and pip needs room to unpack it.
  free_gb=$(( $(df -Pk . | awk 'NR==2 {print $4}') / 1048576 ))
  if [ "$free_gb" -lt 8 ]; then
    echo "setup.sh: only ${free_gb} GB free here; the environment needs about 8 GB (torch is large): free some disk, then re-run" >&2
    exit 1
  fi
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# CONSTRAINTS pins exact versions for reproducible runs (CI sets it); unset, pip picks current releases.
.venv/bin/python -m pip install -q ${CONSTRAINTS:+-c "$CONSTRAINTS"} -e ".[dev,offline]"
.venv/bin/finetune-lessons doctor || true
echo "setup.sh: ready. Activate with: source .venv/bin/activate"
