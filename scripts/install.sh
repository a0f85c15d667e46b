#!/usr/bin/env bash
# Install evidence on Debian or Ubuntu: the system tools it runs (ffmpeg, Chromaprint's fpcalc,
# DejaVu fonts), then the Python package into a virtual environment at .venv.
#
#   bash scripts/install.sh          # to use evidence
#   bash scripts/install.sh --test   # also what the test suite needs (espeak-ng, pytest, jiwer)
#
# Runs apt-get as root, or through sudo. Needs the network only while installing; evidence itself
# never uses it.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
case "${1:-}" in
  --test) with_tests=1 ;;
  "") ;;
  *) echo "usage: bash scripts/install.sh [--test]" >&2; exit 2 ;;
esac

packages=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || packages+=(ffmpeg)
command -v fpcalc >/dev/null || packages+=(libchromaprint-tools)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core)
# Debian ships venv and ensurepip apart from python3 itself.
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3 python3-venv)
if [ "$with_tests" = 1 ]; then
  command -v espeak-ng >/dev/null || packages+=(espeak-ng)
fi

if [ "${#packages[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing system packages: ${packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
extra=""
[ "$with_tests" = 1 ] && extra="[test]"
echo "Installing evidence$extra into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extra"
echo "Installed: $(.venv/bin/evidence --version)"
