#!/usr/bin/env bash
# Download every file the lock pins (wheels, and sources for the three packages without wheels)
# into docker/wheelhouse/, checked against the lock's hashes, so the image builds without an index.
# Run where Python 3.11 and the network are available; copy the folder to the air-gapped host.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
"$python" -m pip download --quiet --no-deps --require-hashes --dest docker/wheelhouse \
    -r envs/requirements.lock
echo "docker/wheelhouse: $(find docker/wheelhouse -name '*.whl' | wc -l) wheels," \
     "$(find docker/wheelhouse -name '*.tar.gz' | wc -l) source archives, $(du -sh docker/wheelhouse | cut -f1)"
