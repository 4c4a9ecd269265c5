#!/bin/sh
# A stand-in for `darknet classifier train|valid DATA CFG [WEIGHTS]` whose behaviour
# is chosen by the trial's learning_rate, so that one study meets every way a real
# Darknet run ends: 7 crashes (SIGSEGV at iteration 3), 8 hangs (silent, with a
# child process that must be killed with it), 9 diverges (nan from iteration 3),
# 6 prints garbled iteration lines (one past max_batches, one going back) among good
# ones, 5 trains to the end and leaves no weights; any other rate trains and then
# aborts after saving, as the Debian darknet can.
# Its valid's top-1 is 0.9 - 100 * (lr - 0.02)^2: the best rate is 0.02.
ulimit -c 0
mode=$1 data=$2 cfg=$3
val() { sed -n "s/^$1 *= *//p" "$2" | head -n 1; }
lr=$(val learning_rate "$cfg")
max=$(val max_batches "$cfg")
backup=$(val backup "$data")
base=$(basename "$cfg" .cfg)
if [ "$mode" = valid ]; then
    echo "1: top 1: 0.500000, top 5: 0.900000"
    awk -v lr="$lr" 'BEGIN { printf "100: top 1: %f, top 5: 0.990000\n", 0.9 - 100 * (lr - 0.02) ^ 2 }'
    exit 0
fi
i=1
while [ "$i" -le "$max" ]; do
    case $lr in
    7) [ "$i" -eq 3 ] && kill -SEGV $$ ;;
    8) [ "$i" -eq 3 ] && { sleep 600 & echo $! > "$backup/../sleeper.pid"; wait; } ;;
    esac
    loss=1.5
    [ "$lr" = 9 ] && [ "$i" -ge 3 ] && loss=nan
    echo "Loaded: 0.000100 seconds"
    printf '%d, 0.%03d: %s, %s avg, %s rate, 0.010000 seconds, %d images\n' "$i" "$i" "$loss" "$loss" "$lr" $((i * 64))
    if [ "$lr" = 6 ] && [ "$i" -eq 10 ]; then
        printf '%d, 0.%03d: 1.5, 1.5 avg, 6 rate, 0.010000 seconds, 64 images\n' 500 500
        printf '%d, 0.%03d: 1.5, 1.5 avg, 6 rate, 0.010000 seconds, 64 images\n' 3 3
    fi
    i=$((i + 1))
done
[ "$lr" = 5 ] && exit 0
echo "Saving weights to $backup/$base.weights" >&2
echo weights > "$backup/$base.weights"
kill -ABRT $$
