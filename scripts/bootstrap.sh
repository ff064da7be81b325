#!/usr/bin/env bash
# Set up .venv for biosignal-harness. `bash scripts/bootstrap.sh` installs the package; with --test it
# also installs what the tests need. Idempotent: a stamp keyed by pyproject.toml skips repeat installs.
#
# torch: on a machine without an NVIDIA GPU we install the CPU build first (a local wheel when pip can
# find one, else PyTorch's CPU index), so the package's open `torch>=2.2` range is already satisfied and
# pip never pulls the multi-GB CUDA build. With a GPU the range picks the normal CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)
extras=""
[ "$mode" = "--test" ] && extras="[test]"
stamp=".venv/.bootstrap-$(sha256sum pyproject.toml | cut -c1-16)${extras:+-test}"
# The browser tests drive Debian's Chromium (headless, through Playwright): install it when missing.
if [ "$mode" = "--test" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q chromium >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; } \
      || echo "warning: could not install chromium; the browser tests will skip (CI fails them)" >&2
  else
    echo "note: no chromium and no root apt-get; install Debian's chromium for the browser tests" >&2
  fi
fi
# Up to date when the stamp matches and this checkout's harness (not another one's) is importable.
if [ -f "$stamp" ] && .venv/bin/python -c "import harness, torch, pathlib, sys; \
sys.exit(not pathlib.Path(harness.__file__).resolve().is_relative_to(pathlib.Path.cwd().resolve()))" 2>/dev/null; then
  exit 0
fi
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    "${pip[@]}" install "torch>=2.2"
  else
    # A local CPU wheel (pip's find-links) when there is one; its own dependencies come with the
    # package install below. Otherwise PyTorch's CPU index.
    "${pip[@]}" install --no-deps --no-index "torch==2.13.0" 2>/dev/null \
      || "${pip[@]}" install --timeout 30 --retries 1 "torch>=2.2" --index-url https://download.pytorch.org/whl/cpu \
           --extra-index-url https://pypi.org/simple
  fi
fi
"${pip[@]}" install -e ".${extras}" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import harness, torch" || { echo "bootstrap failed: harness/torch not importable" >&2; exit 1; }
rm -f .venv/.bootstrap-*
touch "$stamp"
