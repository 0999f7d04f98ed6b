#!/usr/bin/env bash
# Builds nn-host against the torch wheel of the given Python (a venv's, with electone-rave installed)
# and installs it beside it, with the digest of the sources it was built from:
#   workflow/nn_host/build.sh VENV_PYTHON     ->  $(dirname VENV_PYTHON)/nn-host, <venv>/share/nn-host/
# Needs cmake, a C++17 compiler, pkg-config and libsndfile's headers (envs/system-deps.sh installs them).
set -euo pipefail
python=$1
source_dir=$(cd "$(dirname "$0")" && pwd)
prefix=$(cd "$(dirname "$python")/.." && pwd)
build_dir=$prefix/build/nn_host
read -r include_dirs library_dir abi < <("$python" - <<'PY'
import torch
from torch.utils import cpp_extension
print(";".join(cpp_extension.include_paths()), cpp_extension.library_paths()[0], int(torch._C._GLIBCXX_USE_CXX11_ABI))
PY
)
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DTORCH_INCLUDE_DIRS="$include_dirs" -DTORCH_LIBRARY_DIR="$library_dir" -DTORCH_CXX11_ABI="$abi" >/dev/null
cmake --build "$build_dir" --parallel
cmake --install "$build_dir" >/dev/null
# What it was built from: electone_rave.export.nn_host refuses a binary older than the sources.
mkdir -p "$prefix/share/nn-host"
"$python" -c 'from electone_rave.export.nn_host import sources_digest; print(sources_digest())' \
    > "$prefix/share/nn-host/sources.sha256"
