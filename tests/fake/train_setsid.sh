#!/bin/sh
# A fake darknet train that leaves a daemon behind: a grandchild started with setsid,
# in a session and process group of its own (out of reach of the trial's group), and
# with the terminal's hangup ignored. Its command line says "dt-orphan <trial folder>"
# (bash's exec -a), so that a test finds it with pgrep -f. The program's pid goes into
# <trial>/program.pid, the daemon's into <trial>/daemon.pid.
# usage: train_setsid.sh DATA CFG [hang]: trains max_batches iterations and saves its
# weights; with hang, it stops after one iteration and waits (ignoring SIGHUP too).
ulimit -c 0
val() { sed -n "s/^$1 *= *//p" "$2" | head -n 1; }
backup=$(val backup "$1")
max=$(val max_batches "$2")
dir=$(cd "$backup/.." && pwd)
base=$(basename "$2" .cfg)
echo $$ > "$dir/program.pid"
setsid bash -c 'trap "" HUP; echo $$ > "$1/daemon.pid"; exec -a "dt-orphan $1" sleep 1000' sh "$dir" \
    < /dev/null > /dev/null 2>&1 &
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$dir/daemon.pid" ] && break; sleep 0.1; done
if [ "${3:-}" = hang ]; then
    trap '' HUP
    echo "1, 0.001: 2.300000, 2.300000 avg, 0.100000 rate, 0.069000 seconds, 128 images"
    sleep 600 &
    echo $! > "$dir/sleeper.pid"
    wait
    exit 1
fi
i=1
while [ "$i" -le "$max" ]; do
    printf '%d, 0.%03d: 1.5, 1.5 avg, 0.1 rate, 0.010000 seconds, %d images\n' "$i" "$i" $((i * 64))
    i=$((i + 1))
done
echo "Saving weights to $backup/$base.weights"
echo weights > "$backup/$base.weights"
