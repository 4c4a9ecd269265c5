#!/usr/bin/env bash
# In-process (runner = libdarknet) against Darknet itself, side by side in one run:
#  1. milliseconds per iteration: cfg/fashion.cfg, full train.list, ITERS iterations,
#     `darknet classifier train`, a one-trial darktune study, and the same study with
#     darktune-native (make native: Darknet built for this CPU), RUNS times each,
#     alternating; per run the median of the printed per-iteration times (load +
#     train_network) and the wall clock per iteration; the median run of each.
#  2. trials per hour of a STUDY_TRIALS-trial study (runner libdarknet, random rates,
#     STUDY_ITERS iterations, top-1 on valid-1k) with cpu_slots = 1 and the default
#     (one per core).
#  3. the shapes detector's ms per iteration with the Debian libdarknet and the native
#     build (data/shapes, when drawn).
# Prints the ratios. Run from the repository root after `make all data`.
set -u
cd "$(dirname "$0")/.."
ITERS=${ITERS:-200} RUNS=${RUNS:-3} STUDY_TRIALS=${STUDY_TRIALS:-12} STUDY_ITERS=${STUDY_ITERS:-100}
DET_ITERS=${DET_ITERS:-60}
DARKTUNE=${DARKTUNE:-$PWD/darktune} NATIVE=${NATIVE:-$PWD/darktune-native}
out=${BENCH_OUT:-$PWD/runs/bench-inprocess}
rm -rf "$out" && mkdir -p "$out"
d=$PWD/data/fashion
printf 'classes=10\ntrain=%s\nvalid=%s\nlabels=%s\nbackup=%s\n' "$d/train.list" "$d/valid-1k.list" \
    "$d/labels.txt" "$out" > "$out/bench.data"
sed "s/^max_batches=.*/max_batches=$ITERS/" cfg/fashion.cfg > "$out/bench.cfg"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $ITERS iterations, $RUNS runs each"

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# per-iteration ms of a log: "Loaded: S seconds" plus the iteration line's "S seconds"
iter_ms() {
    awk '/^Loaded: / { l = $2 } / rate, [0-9.]+ seconds, / { for (i = 1; i <= NF; i++) if ($i == "seconds,") s = $(i - 1);
         print 1000 * (l + s); l = 0 }' "$1" | median
}
now() { date +%s.%N; }

dk_it=() dk_wall=() ip_it=() ip_wall=() nat_it=() nat_wall=()
# one DARKTUNE NAME ITERS: the one-trial study $out/NAME.ini; prints its ms per iteration,
# its wall ms per iteration less the study's one-off decoding, and that decoding's seconds.
one() {
    local t0 t1 dec log=$out/$2/trials/0/log.txt
    rm -rf "${out:?}/$2"
    t0=$(now)
    "$1" run "$out/$2.ini" > "$out/$2.out" 2>&1 || { echo "$1 failed:" >&2; cat "$out/$2.out" >&2; exit 1; }
    t1=$(now)
    dec=$(sed -nE 's/^darktune: decoded .* in ([0-9.]+) s .*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
    echo "$(iter_ms "$log") $(awk -v a="$t0" -v b="$t1" -v dec="$dec" -v n="$3" 'BEGIN { print 1000 * (b - a - dec) / n }') $dec"
}
for r in $(seq 1 "$RUNS"); do
    t0=$(now)
    (cd "$out" && darknet classifier train bench.data bench.cfg < /dev/null > "darknet-$r.log" 2>&1)
    t1=$(now)
    dk_it+=("$(iter_ms "$out/darknet-$r.log")")
    dk_wall+=("$(awk -v a="$t0" -v b="$t1" -v n="$ITERS" 'BEGIN { print 1000 * (b - a) / n }')")

    cat > "$out/one-$r.ini" <<INI
[study]
name     = bench-one-$r
output   = one-$r
metric   = loss
trials   = 1
seed     = $r
[darknet]
runner    = libdarknet
data      = bench.data
cfg       = bench.cfg
cpu_slots = 1
[space]
learning_rate = 0.01
INI
    read -r i w dec <<<"$(one "$DARKTUNE" "one-$r" "$ITERS")" && [ -n "$i" ] || exit 1
    ip_it+=("$i") ip_wall+=("$w")
    read -r i w dec <<<"$(one "$NATIVE" "one-$r" "$ITERS")" && [ -n "$i" ] || exit 1
    nat_it+=("$i") nat_wall+=("$w")
    echo "run $r: darknet ${dk_it[-1]} ms/iteration (wall ${dk_wall[-1]}), in-process ${ip_it[-1]} (wall ${ip_wall[-1]}, decoding ${dec} s once), native ${nat_it[-1]} (wall ${nat_wall[-1]})"
done
dki=$(printf '%s\n' "${dk_it[@]}" | median) ipi=$(printf '%s\n' "${ip_it[@]}" | median)
dkw=$(printf '%s\n' "${dk_wall[@]}" | median) ipw=$(printf '%s\n' "${ip_wall[@]}" | median)
nai=$(printf '%s\n' "${nat_it[@]}" | median) naw=$(printf '%s\n' "${nat_wall[@]}" | median)
printf 'ms per iteration (median of %d runs): darknet %.1f, in-process %.1f: in-process/darknet = %.2f\n' \
    "$RUNS" "$dki" "$ipi" "$(awk -v a="$ipi" -v b="$dki" 'BEGIN { print a / b }')"
printf 'wall ms per iteration (whole run):    darknet %.1f, in-process %.1f: in-process/darknet = %.2f\n' \
    "$dkw" "$ipw" "$(awk -v a="$ipw" -v b="$dkw" 'BEGIN { print a / b }')"
printf 'native build (make native), in-process: %.1f ms per iteration, wall %.1f: darknet/native = %.2f, wall %.2f\n' \
    "$nai" "$naw" "$(awk -v a="$dki" -v b="$nai" 'BEGIN { print a / b }')" "$(awk -v a="$dkw" -v b="$naw" 'BEGIN { print a / b }')"

study() {  # study NAME SLOTS-LINE -> trials per hour
    cat > "$out/$1.ini" <<INI
[study]
name     = bench-$1
output   = $1
metric   = top1
trials   = $STUDY_TRIALS
seed     = 3
[darknet]
runner      = libdarknet
data        = bench.data
cfg         = bench.cfg
max_batches = $STUDY_ITERS
$2
[space]
learning_rate = log(0.003, 0.05)
momentum      = uniform(0.8, 0.95)
INI
    local t0 t1
    t0=$(now)
    "$DARKTUNE" run "$out/$1.ini" > "$out/$1.out" 2>&1 || { echo "darktune failed:" >&2; cat "$out/$1.out" >&2; exit 1; }
    t1=$(now)
    awk -v a="$t0" -v b="$t1" -v n="$STUDY_TRIALS" 'BEGIN { printf "%.1f %.1f", n * 3600 / (b - a), b - a }'
}
read -r tph1 s1 <<<"$(study slots1 'cpu_slots = 1')"
read -r tphd sd <<<"$(study slots-default '')"
slots=$(sed -nE 's/^slots: ([0-9]+) trial.*/\1/p' "$out/slots-default.out")
printf 'trials per hour, %d trials of %d iterations: cpu_slots = 1: %.0f (%.0f s); default (%s slots): %.0f (%.0f s): ratio %.2f\n' \
    "$STUDY_TRIALS" "$STUDY_ITERS" "$tph1" "$s1" "$slots" "$tphd" "$sd" "$(awk -v a="$tphd" -v b="$tph1" 'BEGIN { print a / b }')"

# 3. The shapes detector (cfg/shapes-yolo.cfg, batch 32, data/shapes when drawn): the
#    in-process ms per iteration with the Debian libdarknet and the native build,
#    DET_ITERS iterations, RUNS times each, alternating.
if [ -e data/shapes/train.list ]; then
    cp cfg/shapes-yolo.cfg "$out/shapes.cfg"
    sed "s#\.\./data/#$PWD/data/#; s#^backup=.*#backup=$out#" cfg/shapes.data > "$out/shapes.data"
    det_deb=() det_nat=()
    for r in $(seq 1 "$RUNS"); do
        cat > "$out/det-$r.ini" <<INI
[study]
name      = bench-det-$r
output    = det-$r
metric    = map50
direction = maximize
trials    = 1
seed      = $r
[darknet]
task        = detector
runner      = libdarknet
data        = shapes.data
cfg         = shapes.cfg
max_batches = $DET_ITERS
cpu_slots   = 1
[space]
learning_rate = 0.005
INI
        read -r i w dec <<<"$(one "$DARKTUNE" "det-$r" "$DET_ITERS")" && [ -n "$i" ] || exit 1
        det_deb+=("$i")
        read -r i w dec <<<"$(one "$NATIVE" "det-$r" "$DET_ITERS")" && [ -n "$i" ] || exit 1
        det_nat+=("$i")
    done
    a=$(printf '%s\n' "${det_deb[@]}" | median) b=$(printf '%s\n' "${det_nat[@]}" | median)
    printf 'shapes detector, in-process ms per iteration (median of %d runs of %d): Debian libdarknet %.1f, native %.1f: Debian/native = %.2f\n' \
        "$RUNS" "$DET_ITERS" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')"
else
    echo "shapes detector: data/shapes is missing (make data-shapes)"
fi
