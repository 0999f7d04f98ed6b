#!/bin/sh
# Run the given command (default: the workflow) in /work. The paper is built in /work/paper, which
# is part of the image, so a copy goes to the results volume where the user can read it.
"$@"
status=$?
if [ -d /work/results ] && ls /work/paper/*.pdf >/dev/null 2>&1; then
    mkdir -p /work/results/paper && cp -p /work/paper/*.pdf /work/results/paper/
fi
exit $status
