#!/usr/bin/env bash
# Installs Debian's PyTorch (python3-torch) with OpenBLAS for the benchmark's PyTorch peer, if it is missing.
# The peer runs under /usr/bin/python3 (a pyenv python3 earlier on PATH would not see Debian's packages).
# OpenBLAS matters: Debian's default reference BLAS is about 35x slower on matmul, which would flatter TorchSharp.
set -euo pipefail
if /usr/bin/python3 -c 'import torch' 2>/dev/null && [ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3-torch libopenblas0-pthread
# Make OpenBLAS the system BLAS that libtorch (linked against libblas.so.3) loads.
$SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
$SUDO update-alternatives --set liblapack.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3 || true
