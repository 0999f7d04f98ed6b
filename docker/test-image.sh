#!/usr/bin/env bash
# Build the image and run the smoke-size chain inside it on CPU, as a non-root user, then check the
# outputs. This machine has no Docker daemon and no registry: podman with runc builds FROM a
# debootstrapped Debian bookworm, and pip installs from the wheelhouse. As root (installs podman,
# runc and debootstrap with apt when missing). Prints the build and run times.
#   docker/test-image.sh            WORK=/var/tmp/electone-rave-image by default
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-/var/tmp/electone-rave-image}
mkdir -p "$work"

missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The default ulimits cannot be applied here, and crun fails on this kernel's hybrid cgroups.
export CONTAINERS_CONF="$work/containers.conf"
printf '[containers]\ndefault_ulimits = []\n' > "$CONTAINERS_CONF"
podman=(podman --runtime runc)

base=localhost/debian:bookworm-base
if ! "${podman[@]}" image exists "$base"; then
    rm -rf "$work/rootfs"
    debootstrap --variant=minbase bookworm "$work/rootfs" >/dev/null
    tar -C "$work/rootfs" -c . | "${podman[@]}" import - "$base"
fi
[ -n "$(ls docker/wheelhouse/*.whl 2>/dev/null)" ] || docker/make-wheelhouse.sh

start=$(date +%s)
"${podman[@]}" build --quiet --build-arg BASE="$base" --build-arg GIT_COMMIT="$(git rev-parse HEAD)$(git diff --quiet HEAD || echo -dirty)" \
    -f docker/Dockerfile -t localhost/electone-rave .
built=$(date +%s)

results="$work/results"
rm -rf "$results" && mkdir -p "$results" && chmod 777 "$results"
"${podman[@]}" run --rm --user 1000 -v "$results:/work/results" localhost/electone-rave \
    sh -c 'id -u > results/container-uid && snakemake --cores all --config scale=smoke'
ran=$(date +%s)

fail() { echo "test-image: FAIL: $*" >&2; exit 1; }
[ "$(cat "$results/container-uid")" = 1000 ] || fail "the workflow did not run as uid 1000"
for f in manifest.json paper/electone-rave.pdf export/electone.ts eval/replication.json; do
    [ -s "$results/$f" ] || fail "results/$f missing"
done
[ -z "$(find "$results" -mindepth 1 ! -uid 1000 -print -quit)" ] || fail "files not owned by uid 1000 in results"
grep -q '"scale": "smoke"' "$results/manifest.json" || fail "manifest does not name the smoke scale"
echo "test-image: OK: build $((built - start)) s, smoke chain in the container $((ran - built)) s," \
     "image $("${podman[@]}" image inspect localhost/electone-rave --format '{{.Size}}' | numfmt --to=iec)"
