#!/usr/bin/env bash
# tests/gpu/check.sh (make gpu-check): the device check, for a machine with an NVIDIA GPU.
# It builds the CUDA darknet twice (make gpu: cuDNN; make gpu CUDNN=0: Darknet's own
# im2col + gemm convolutions), then with each build trains Fashion-MNIST
# (cfg/fashion.cfg at batch 128, 300 iterations) as 1, 4 and 8 processes at once on GPU 0,
# checks every run reached iteration 300, validates the single run's weights on the
# 1,000-image valid subset (top-1: the cuDNN patch must train as well as the plain path),
# and prints a table: wall time, steady ms per iteration (train and loading apart), and
# the throughput of N runs at once against one run.
#
# Budget: under 8 minutes on an H100 (measured before: the plain build takes ~45 s for
# 8 runs at once). Each phase has its own timeout, capped by a deadline of CHECK_BUDGET
# seconds (420) from the start; a phase the deadline leaves no time for is skipped and
# shown as such. Exit status: 0 when every run finished and top-1 is above 70% for both
# builds, 1 otherwise. It writes only under tests/tmp/gpu-check/.
#
# Without nvcc on the machine it uses the builds already in build/darknet-gpu*/ (carried
# from a machine that compiled them). It needs the data of `make data` (made here when
# missing: Debian's dataset-fashion-mnist) and the CUDA libraries at run time.
set -u
cd "$(dirname "$0")/../.."
start=$(date +%s)
budget=${CHECK_BUDGET:-420}
deadline=$((start + budget))
iters=300 batch=128
work=$PWD/tests/tmp/gpu-check
rm -rf "$work" && mkdir -p "$work"
status=0
note() { echo "gpu-check: $*"; }
fail() { echo "gpu-check: FAIL: $*" >&2; status=1; }
# left MAX: seconds a phase may take: MAX, or what the deadline leaves.
left() { local l=$((deadline - $(date +%s))); [ "$l" -lt 1 ] && l=1; [ "$l" -lt "$1" ] && echo "$l" || echo "$1"; }

if command -v nvidia-smi > /dev/null; then
  note "GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader -i 0)"
else
  note "no nvidia-smi: the runs below will fail if there is no GPU"
fi

# 1. The two builds (a cached make gpu takes a second).
builds="cudnn nocudnn"
dir_of() { [ "$1" = cudnn ] && echo build/darknet-gpu || echo build/darknet-gpu-nocudnn; }
for b in $builds; do
  c=1; [ "$b" = nocudnn ] && c=0
  if [ -x "${CUDA:-/usr/local/cuda}/bin/nvcc" ]; then
    if ! GPU_JOBS=$(nproc) timeout "$(left 240)" make --no-print-directory gpu CUDNN=$c; then
      fail "make gpu CUDNN=$c"
    fi
  else
    note "no nvcc here: using the build already in $(dir_of "$b")/"
  fi
  d=$(dir_of "$b")
  if [ ! -x "$d/darknet" ]; then fail "no $d/darknet"; continue; fi
  missing=$(ldd "$d/darknet" | grep 'not found')
  [ -z "$missing" ] || fail "$d/darknet cannot load: $missing"
done

# 2. The data and the run's cfg: cfg/fashion.cfg with batch 128 and 300 iterations.
if ! timeout "$(left 120)" make --no-print-directory -j"$(nproc)" data > "$work/data.log" 2>&1; then
  tail -n 5 "$work/data.log" >&2; fail "make data"; exit 1
fi
sed -e "s/^batch=.*/batch=$batch/" -e "s/^max_batches=.*/max_batches=$iters/" cfg/fashion.cfg > "$work/fashion-gpu.cfg"
grep -q "^batch=$batch$" "$work/fashion-gpu.cfg" && grep -q "^max_batches=$iters$" "$work/fashion-gpu.cfg" \
  || { fail "cfg/fashion.cfg has no batch= or max_batches= line to set"; exit 1; }
fd=$PWD/data/fashion

# run_group BUILD N: N trainings at once; each in its own folder with its own .data.
# Prints the group's wall seconds; each run's log is $work/BUILD-N/K/log.txt.
run_group() {
  local b=$1 n=$2 d k g=$work/$1-$2 pids=() t0 limit
  d=$PWD/$(dir_of "$b")
  limit=$(left $((30 + 15 * n)))
  if [ "$limit" -lt 10 ]; then echo skipped; return; fi
  for k in $(seq 1 "$n"); do
    mkdir -p "$g/$k/backup"
    printf 'classes=10\ntrain=%s\nvalid=%s\nlabels=%s\nbackup=%s\ntop=5\n' \
      "$fd/train.list" "$fd/valid-1k.list" "$fd/labels.txt" "$g/$k/backup" > "$g/$k/run.data"
  done
  t0=$(date +%s.%N)
  for k in $(seq 1 "$n"); do
    # Darknet never flushes stdout: line buffering keeps every iteration line.
    (cd "$g/$k" && exec timeout -k 5 "$limit" stdbuf -oL "$d/darknet" classifier train run.data \
       "$work/fashion-gpu.cfg") < /dev/null > "$g/$k/log.txt" 2> "$g/$k/err.txt" &
    pids+=($!)
  done
  # A crashed run is reported below from its log; the shell's "Aborted" adds nothing.
  for k in "${pids[@]}"; do wait "$k" 2> /dev/null; done
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }'
}

# stats LOG: "ITERS MS TRAIN_MS LOAD_MS AVG_LOSS": the last iteration reached; the median
# milliseconds per iteration of iterations 11..end (the first ones warm up): in all,
# training, waiting for the loader; the last average loss. "-" for what is missing.
stats() {
  awk '/^Loaded: / { load = $2 * 1000 }
       /^[0-9]+, [0-9.]+: .* avg, .* rate, .* seconds, / {
         it = $1 + 0; avg = $4 + 0
         if (it > 10) { tr[++n] = $(NF - 3) * 1000; ld[n] = load; al[n] = tr[n] + load }
       }
       function med(a, n,   i, j, t) {
         for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
         return n ? a[int((n + 1) / 2)] : -1
       }
       END { if (n) printf "%d %.1f %.1f %.1f %g\n", it, med(al, n), med(tr, n), med(ld, n), avg
             else printf "%d - - - -\n", it }' "$1"
}

# mean SUM N: SUM / N with one decimal.
mean() { awk -v x="$1" -v n="$2" 'BEGIN { printf "%.1f", x / n }'; }

# 3. The runs: per build, 1 then 4 then 8 at once; the single run is validated.
declare -A wall_of row_of top1_of
for b in $builds; do
  [ -x "$(dir_of "$b")/darknet" ] || continue
  for n in 1 4 8; do
    note "$b: $n at once"
    w=$(run_group "$b" "$n"); wall_of[$b-$n]=$w
    [ "$w" = skipped ] && { fail "$b x$n skipped: the ${budget}s budget ran out"; continue; }
    worst=$iters ms=0 tr=0 ld=0 loss=""
    for k in $(seq 1 "$n"); do
      read -r it m t l a < <(stats "$work/$b-$n/$k/log.txt")
      [ "$it" -lt "$worst" ] && worst=$it
      ms=$(awk -v x="$ms" -v y="$m" 'BEGIN { print x + y }')
      tr=$(awk -v x="$tr" -v y="$t" 'BEGIN { print x + y }'); ld=$(awk -v x="$ld" -v y="$l" 'BEGIN { print x + y }')
      [ -z "$loss" ] && loss=$a
    done
    if [ "$worst" -lt "$iters" ]; then
      fail "$b x$n: a run stopped at iteration $worst (logs: $work/$b-$n/*/log.txt, err.txt)"
      cat "$work/$b-$n"/*/log.txt "$work/$b-$n"/*/err.txt 2> /dev/null \
        | grep -E 'CUDA Error|CUDNN|rror|Assertion' | sort | uniq -c | head -n 5 >&2
    fi
    row_of[$b-$n]="$worst $(mean "$ms" "$n") $(mean "$tr" "$n") $(mean "$ld" "$n") $loss"
  done
  # Top-1 of the single run's weights on valid-1k.list: the last line is the total.
  wts=$work/$b-1/1/backup/fashion-gpu.weights prog=$PWD/$(dir_of "$b")/darknet
  if [ -f "$wts" ] && [ "$(left 60)" -ge 10 ]; then
    (cd "$work/$b-1/1" && exec timeout -k 5 "$(left 60)" stdbuf -oL "$prog" \
       classifier valid run.data "$work/fashion-gpu.cfg" "$wts") < /dev/null \
       > "$work/$b-1/1/valid.txt" 2> "$work/$b-1/1/valid-err.txt"
    top1_of[$b]=$(awk '/top 1: / { v = $4 } END { if (v != "") printf "%.1f", v * 100 }' "$work/$b-1/1/valid.txt")
  fi
  t=${top1_of[$b]:-}
  if [ "${wall_of[$b-1]}" = skipped ] || [ "${row_of[$b-1]%% *}" != "$iters" ]; then :
  elif [ -z "$t" ]; then fail "$b: no top-1 from classifier valid (see $work/$b-1/1/valid-err.txt)"
  elif awk -v t="$t" 'BEGIN { exit !(t < 70) }'; then fail "$b: top-1 $t% after $iters iterations (want > 70%)"; fi
done

# 4. The summary. ms/it: steady state, median per run, averaged over the runs at once;
# throughput: images per second of all runs together (wall, startup included), and
# against one run of the same build.
echo
printf '%-8s %4s %7s %5s %6s %8s %7s %9s %7s %9s %6s\n' build runs "wall s" its "ms/it" "train ms" "load ms" "images/s" "x one" "avg loss" top1
for b in $builds; do
  for n in 1 4 8; do
    w=${wall_of[$b-$n]:-}; [ -n "$w" ] || continue
    if [ "$w" = skipped ]; then printf '%-8s %4s %7s\n' "$b" "$n" skipped; continue; fi
    read -r it ms tr ld loss <<<"${row_of[$b-$n]}"
    # Throughput only for groups whose runs all finished, against a single run that did.
    ips=- x=-
    [ "$it" = "$iters" ] || ms=- tr=- ld=-
    if [ "$it" = "$iters" ]; then
      ips=$(awk -v n="$n" -v w="$w" -v i="$iters" -v bt="$batch" 'BEGIN { printf "%.0f", n * i * bt / w }')
      w1=${wall_of[$b-1]:-}
      if [ "$w1" != skipped ] && [ "${row_of[$b-1]%% *}" = "$iters" ]; then
        x=$(awk -v n="$n" -v w="$w" -v w1="$w1" 'BEGIN { printf "%.2fx", n * w1 / w }')
      fi
    fi
    [ -n "$loss" ] || loss=-
    t="-"; [ "$n" = 1 ] && t=${top1_of[$b]:--}
    printf '%-8s %4s %7s %5s %6s %8s %7s %9s %7s %9s %6s\n' "$b" "$n" "$w" "$it" "$ms" "$tr" "$ld" "$ips" "$x" "$loss" "$t"
  done
done
echo "(ms/it = train + load: medians per iteration after the first 10, averaged over the runs at once;"
echo " images/s: all runs together over the wall time, startup included; x one: that against one run)"
note "$(( $(date +%s) - start )) s; logs in $work"
[ "$status" = 0 ] && note "overall okay" || note "FAILED"
exit "$status"
