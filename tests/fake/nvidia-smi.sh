#!/bin/sh
# A stand-in for nvidia-smi ($DARKTUNE_NVIDIA_SMI), answering the two queries
# darktune asks (dt_gpu.c). FAKE_GPUS GPUs; each has FAKE_GPU_MIB MiB, of which 500
# are used by others and FAKE_TRIAL_MIB by each live trial of tests/fake/gpu_train.sh
# on it. Without FAKE_GPU_MIB the memory query fails, as on a GPU it cannot read.
. "$(dirname "$0")/gpu_live.sh"
case "$*" in
*--query-gpu=index*)
    i=0
    while [ "$i" -lt "${FAKE_GPUS:-1}" ]; do echo "$i"; i=$((i + 1)); done ;;
*--query-gpu=memory.used,memory.total*)
    [ -n "${FAKE_GPU_MIB:-}" ] || exit 6
    id=$(printf '%s\n' "$@" | sed -n 's/^--id=//p')
    [ "$id" -lt "${FAKE_GPUS:-1}" ] || exit 6
    echo "$((500 + $(live "$id") * FAKE_TRIAL_MIB)), $FAKE_GPU_MIB" ;;
*) exit 2 ;;
esac
