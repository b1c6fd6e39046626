#!/usr/bin/env bash
# .venv at the repository root holding exactly the lock (locks/<group>.txt) and this project:
# made when missing, repaired when a failed attempt left it half-made, brought to the lock when
# the lock changed.
#   scripts/setup-venv.sh PYTHON [EXTRAS]      (EXTRAS: "" -> locks/base.txt, "cluster" -> locks/cluster.txt)
# Healthy means: its stamp names the lock's content and the EXTRAS, and its python imports pip and
# the project. The stamp is written last, only after everything installed.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}
extras=${2:-}
venv=.venv
stamp=$venv/.installed
lock=locks/${extras:-base}.txt

works() { "$venv/bin/python" -c "$1" >/dev/null 2>&1; }
is_311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; }

# The locks are for Python 3.11: the one asked for if it is 3.11, otherwise python3.11.
if ! is_311 "$python"; then
  if command -v python3.11 >/dev/null && is_311 python3.11; then
    python=python3.11
  else
    echo "The locked environment needs Python 3.11 ($python is $("$python" -V 2>&1 || echo missing))." >&2
    echo "Install it (Debian 12 and Ubuntu 22.04: apt-get install python3.11 python3.11-venv;" \
         "macOS: brew install python@3.11), or name it: make PYTHON=/path/to/python3.11" >&2
    exit 1
  fi
fi
"$python" scripts/lock.py check "$lock"
wanted="$(sha256sum "$lock" | cut -d' ' -f1) $extras"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && works "import pip, autograder"; then
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

if [ -e "$venv" ] && ! { works "import pip" && is_311 "$venv/bin/python"; }; then
  echo "Rebuilding $venv: it is incomplete or not Python 3.11 (an earlier set-up did not finish)"
  rm -rf "$venv"
fi
rm -f "$stamp"
echo "Installing $lock into $venv"
bash scripts/install-lock.sh "$python" "$venv" "$lock"
# The project itself, built with the lock's setuptools (no build environment to resolve).
"$venv/bin/python" -m pip install -q --no-deps --no-build-isolation --disable-pip-version-check -e ".${extras:+[$extras]}"
works "import pip, torch, autograder"
echo "$wanted" > "$stamp"
