#!/bin/sh
# A stand-in for `darknet classifier train` on a GPU that other trials share: the GPU
# ($CUDA_VISIBLE_DEVICES) runs FAKE_GPU_CAP trials at full speed (FAKE_GPU_SECONDS an
# iteration); n > FAKE_GPU_CAP trials contend, each (n/FAKE_GPU_CAP)^1.5 times slower,
# so the GPU's iterations per second peak at FAKE_GPU_CAP trials. With FAKE_GPU_OOM=m, a trial that
# starts while m others run on its GPU says "CUDA Error: out of memory" and aborts, as
# pjreddie's darknet does. It records each start in $FAKE_GPU_DIR/starts.
# usage: gpu_train.sh DATA CFG
ulimit -c 0
g=${CUDA_VISIBLE_DEVICES:?no GPU given}
d=$FAKE_GPU_DIR/gpu$g
mkdir -p "$d"
me=$d/t$$
. "$(dirname "$0")/gpu_live.sh"
# Registered under a lock: of several trials starting together, each sees the ones before.
exec 9>"$d/.lock"
flock 9
others=$(live "$g")
: > "$me"
flock -u 9
exec 9>&-
echo "gpu $g others $others" >> "$FAKE_GPU_DIR/starts"
if [ -n "${FAKE_GPU_OOM:-}" ] && [ "$others" -ge "$FAKE_GPU_OOM" ]; then
    rm -f "$me"
    echo "CUDA Error: out of memory"
    kill -ABRT $$
fi
base=$(basename "$2" .cfg)
max=$(sed -n 's/^max_batches *= *//p' "$2" | head -n 1)
backup=$(sed -n 's/^backup *= *//p' "$1" | head -n 1)
i=1
while [ "$i" -le "$max" ]; do
    n=$(live "$g")
    sleep "$(awk -v n="$n" -v c="$FAKE_GPU_CAP" -v s="$FAKE_GPU_SECONDS" 'BEGIN { print s * (n > c ? (n / c) ^ 1.5 : 1) }')"
    printf '%d, %d.%03d: 1.500000, 1.500000 avg, 0.010000 rate, 0.050000 seconds, %d images\n' \
        "$i" 0 "$i" $((i * 64))
    i=$((i + 1))
done
echo weights > "$backup/$base.weights"
rm -f "$me"
kill -ABRT $$
