#!/usr/bin/env bash
# A venv that holds exactly one lock's packages (locks/, scripts/lock.py): made when missing,
# brought to the lock when it holds other versions, with what the lock does not hold removed.
# Every file is checked against the lock's hashes (pip --require-hashes); nothing is resolved.
#   scripts/install-lock.sh PYTHON VENV LOCK
# PYTHON must be a Python 3.11 (the locks' version). torch's CPU build comes from a local wheel
# where pip's configuration knows one (find-links), otherwise from PyTorch's CPU index
# (TORCH_INDEX overrides it): PyPI's Linux torch is a CUDA build of several GB.
set -euo pipefail
python=$1
venv=$2
lock=$3
here=$(cd "$(dirname "$0")" && pwd)
cpu_index=${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}

"$python" "$here/lock.py" check "$lock"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
install=("$venv/bin/python" -m pip install -q --require-hashes --no-deps --disable-pip-version-check)
part=$(mktemp)
trap 'rm -f "$part"' EXIT

"$python" "$here/lock.py" select "$lock" pip > "$part"
"${install[@]}" -r "$part"
"$python" "$here/lock.py" select "$lock" torch > "$part"
if ! "${install[@]}" --no-index -r "$part" 2>/dev/null; then
  if [ "$(uname -s)" = Linux ]; then
    "${install[@]}" --index-url "$cpu_index" -r "$part"
  else
    "${install[@]}" -r "$part"
  fi
fi
"${install[@]}" -r "$lock"

extraneous=$("$venv/bin/python" "$here/lock.py" compare --extraneous "$lock")
if [ -n "$extraneous" ]; then
  echo "Removing what $lock does not hold: $(echo $extraneous)"
  # shellcheck disable=SC2086  # one name per word
  "$venv/bin/python" -m pip uninstall -q -y $extraneous
fi
if ! differences=$("$venv/bin/python" "$here/lock.py" compare "$lock"); then
  echo "$venv does not hold exactly $lock:" >&2
  echo "$differences" >&2
  exit 1
fi
