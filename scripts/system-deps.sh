#!/usr/bin/env bash
# System packages the project needs: FluidSynth and a General MIDI soundfont
# (audio rendering), bubblewrap (the grading sandbox), espeak-ng (speech fixtures),
# openssl (the cluster test's TLS certificates), chromium (the class report's test draws its page
# headless, driven by playwright from the lock).
# Installs them with apt when running as root; otherwise says what to install.
set -euo pipefail
SOUNDFONT=/usr/share/sounds/sf2/TimGM6mb.sf2
missing=()
command -v fluidsynth >/dev/null || missing+=(fluidsynth)
[ -f "$SOUNDFONT" ] || missing+=(timgm6mb-soundfont)
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v openssl >/dev/null || missing+=(openssl)   # certificates for the TLS cluster test
[ -x /usr/bin/chromium ] || missing+=(chromium)       # tests/test_class_report.py renders in it
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "Missing system packages: ${missing[*]}" >&2
echo "Install them, e.g. on Debian/Ubuntu: sudo apt-get install ${missing[*]}" >&2
echo "(macOS: brew install fluid-synth; the strong grading sandbox needs Linux.)" >&2
exit 1
