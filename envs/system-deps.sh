#!/usr/bin/env bash
# System packages electone-rave needs outside Python: ffmpeg/ffprobe (rave preprocess decodes with
# them), rsync (the storage provider of profiles/kubernetes copies with it), Python 3.11 with venv, and
# what builds nn-host (workflow/nn_host, nn~'s backend in C++): cmake, a C++ compiler, pkg-config and
# libsndfile's headers;
# with --browser also Chromium, which the listening-page test drives, and libatomic1, which the node
# binary inside Playwright's wheel (its driver) links against.
# As root on Debian/Ubuntu this installs what is missing with apt; otherwise it names exactly what is
# missing and how to install it, and fails.
set -euo pipefail

missing_cmds=()
if [ "${1:-}" = "--browser" ]; then
    command -v chromium >/dev/null || missing_cmds+=(chromium)
    # A library, not a command: ask the dynamic linker's cache (ldconfig is in Debian's libc-bin).
    /sbin/ldconfig -p | grep -q 'libatomic\.so\.1 ' || missing_cmds+=(libatomic.so.1)
fi
command -v ffmpeg >/dev/null || missing_cmds+=(ffmpeg)
command -v ffprobe >/dev/null || missing_cmds+=(ffprobe)
command -v rsync >/dev/null || missing_cmds+=(rsync)
command -v cmake >/dev/null || missing_cmds+=(cmake)
command -v c++ >/dev/null || missing_cmds+=(c++)
command -v pkg-config >/dev/null || missing_cmds+=(pkg-config)
[ -f /usr/include/sndfile.h ] || missing_cmds+=(sndfile.h)
command -v python3.11 >/dev/null || missing_cmds+=(python3.11)
python3.11 -c 'import venv, ensurepip' 2>/dev/null || missing_cmds+=(python3.11-venv)

[ ${#missing_cmds[@]} -eq 0 ] && exit 0

declare -A debian_package=([ffmpeg]=ffmpeg [ffprobe]=ffmpeg [rsync]=rsync [python3.11]=python3.11 [python3.11-venv]=python3.11-venv
                          [cmake]=cmake [c++]=g++ [pkg-config]=pkg-config [sndfile.h]=libsndfile1-dev
                          [chromium]=chromium [libatomic.so.1]=libatomic1)
packages=$(for c in "${missing_cmds[@]}"; do echo "${debian_package[$c]}"; done | sort -u | tr '\n' ' ')

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "system-deps: installing with apt-get: $packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $packages
    exit 0
fi

echo "system-deps: missing: ${missing_cmds[*]}" >&2
echo "system-deps: install them, e.g.: sudo apt-get install -y $packages" >&2
exit 1
