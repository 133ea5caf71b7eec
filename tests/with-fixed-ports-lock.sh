#!/bin/sh
# Runs the command holding /tmp/iothub-fixed-ports.lock, the lock every run that binds the
# fixed ports 8883/443 takes, so two runs on one machine wait for each other instead of failing
# with "address in use".
#
# Re-entrant: when a caller already holds the lock (`flock /tmp/iothub-fixed-ports.lock make
# compat`), flock(1) has left its descriptor on the lock file open in this process, and taking
# the lock again through a new descriptor would wait forever; the command then just runs.
LOCK=/tmp/iothub-fixed-ports.lock
for fd in /proc/$$/fd/*; do
    if [ "$(readlink "$fd" 2>/dev/null)" = "$LOCK" ]; then
        exec "$@"
    fi
done
exec flock "$LOCK" "$@"
