#!/bin/sh
# A fake darknet train that takes SLOW seconds (default 1) before training as
# darknet_by_lr.sh does: trials that are still running when a test kills a worker or
# restarts the database. usage: train_slow.sh DATA CFG
sleep "${SLOW:-1}"
exec "$(dirname "$0")/darknet_by_lr.sh" train "$@"
