#!/usr/bin/env bash
# .venv at the repository root with everything installed: made when missing, repaired when a
# failed attempt left it half-made, brought up to date when pyproject.toml changed.
#   scripts/setup-venv.sh PYTHON [EXTRAS]      (EXTRAS: optional dependency groups, e.g. "cluster")
# Healthy means: its stamp is newer than pyproject.toml and names the same EXTRAS, and its python
# imports pip and the project. The stamp is written last, only after everything installed.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
extras=${2:-}
venv=.venv
stamp=$venv/.installed
torch_pin="torch==2.13.0"
# PyPI's Linux torch is a multi-GB CUDA build: a local wheel of the CPU build if pip's configuration
# knows one (find-links), otherwise PyTorch's CPU index.
cpu_index=${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}

works() { "$venv/bin/python" -c "$1" >/dev/null 2>&1; }

if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && [ "$(cat "$stamp")" = "$extras" ] &&
   works "import pip, autograder"; then
  exit 0
fi

# Debian and Ubuntu ship Python's venv module apart (python3.X-venv).
if ! "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then
  package=$("$python" -c 'import sys; print("python%d.%d-venv" % sys.version_info[:2])')
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing $package (Python's venv module)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "$package" >/dev/null
  else
    echo "Python's venv module is missing. Install it, e.g.: sudo apt-get install $package" >&2
    exit 1
  fi
fi

if [ -e "$venv" ] && ! works "import pip"; then
  echo "Rebuilding $venv: it is incomplete (an earlier set-up did not finish)"
  rm -rf "$venv"
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
rm -f "$stamp"
install=("$venv/bin/python" -m pip install -q)
"${install[@]}" --upgrade pip
if ! works "import torch; assert torch.__version__.split('+')[0] == '${torch_pin#torch==}'"; then
  "${install[@]}" --no-index --no-deps "$torch_pin" 2>/dev/null || "${install[@]}" --index-url "$cpu_index" "$torch_pin"
fi
"${install[@]}" -e ".${extras:+[$extras]}"
works "import pip, torch, autograder"
echo "$extras" > "$stamp"
