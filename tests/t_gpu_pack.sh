#!/usr/bin/env bash
# GPU slots without a GPU: a stand-in nvidia-smi (DARKTUNE_NVIDIA_SMI) and a stand-in
# darknet whose GPU saturates at FAKE_GPU_CAP trials. trials_per_gpu = auto must find
# that capacity, stop where memory ends, spread trials over every GPU
# (CUDA_VISIBLE_DEVICES), and a trial that runs out of memory must run again with k
# lowered.
set -u
. tests/lib.sh
export DARKTUNE_NVIDIA_SMI=$PWD/tests/fake/nvidia-smi.sh FAKE_GPU_DIR=$PWD/tests/tmp/fakegpu
export FAKE_GPU_SECONDS=0.04 FAKE_TRIAL_MIB=1000
fresh() { rm -rf "$FAKE_GPU_DIR" "tests/tmp/$1"; mkdir -p "$FAKE_GPU_DIR"; }
rows() { tail -n +2 "tests/tmp/$1/trials.csv" | wc -l; }
state_count() { tail -n +2 "tests/tmp/$1/trials.csv" | awk -F, -v s="$2" '$2 == s' | wc -l; }

# 1. One GPU that saturates at 4 trials, memory unknown: 1, 2, 4 pay, 8 does not.
fresh gpu-pack
FAKE_GPUS=1 FAKE_GPU_CAP=4 "$DARKTUNE" run tests/study/gpu-pack.ini > tests/tmp/gpu-pack.log 2>&1
check_eq "auto: exit status" "$?" 0
check_grep "auto: starts measuring" 'trials per GPU measured' tests/tmp/gpu-pack.log
check_grep "auto: 1 -> 2" 'GPU 0: 1 trial gives [0-9.]+ iterations/s; trying 2' tests/tmp/gpu-pack.log
check_grep "auto: 2 -> 4" 'GPU 0: 2 trials at once give .*; trying 4' tests/tmp/gpu-pack.log
check_grep "auto: chooses 4, says why" 'GPU 0: 4 trials at once: 8 gave 0\.[0-9]+x the iterations per second of 4' \
    tests/tmp/gpu-pack.log
check_eq "auto: every trial completes" "$(state_count gpu-pack COMPLETE)" 24
# Never more than 8 at once, and 4 or more ran together.
most=$(awk '{ print $4 }' "$FAKE_GPU_DIR/starts" | sort -n | tail -n 1)
check "auto: at most 8 at once (saw $((most + 1)))" test "$most" -le 7
check "auto: packed (saw $((most + 1)))" test "$most" -ge 3

# 2. Memory for two trials only (3500 MiB, 500 used by others, 1000 a trial).
fresh gpu-mem
FAKE_GPUS=1 FAKE_GPU_CAP=8 FAKE_GPU_MIB=3500 "$DARKTUNE" run tests/study/gpu-pack.ini --trials 10 \
    --output tests/tmp/gpu-mem > tests/tmp/gpu-mem.log 2>&1
check_eq "memory: exit status" "$?" 0
check_grep "memory: stops at 2, says why" 'GPU 0: 2 trials at once: 4 would need about 2300 MiB more .* 1000 MiB are free' \
    tests/tmp/gpu-mem.log
most=$(awk '{ print $4 }' "$FAKE_GPU_DIR/starts" | sort -n | tail -n 1)
check_eq "memory: never more than 2 at once" "$most" 1

# 3. Two GPUs, fixed k = 3, memory for two: each GPU's third trial runs out of memory,
#    its configuration runs again, and the GPUs keep 2.
fresh gpu-oom
FAKE_GPUS=2 FAKE_GPU_CAP=8 FAKE_GPU_OOM=2 "$DARKTUNE" run tests/study/gpu-oom.ini > tests/tmp/gpu-oom.log 2>&1
check_eq "oom: exit status" "$?" 0
check_grep "oom: slots" 'slots: 2 GPUs x 3 trials each' tests/tmp/gpu-oom.log
check_grep "oom: k lowered on GPU 0" 'GPU 0: 2 trials at once from now on: one of 3 ran out of memory' tests/tmp/gpu-oom.log
check_grep "oom: k lowered on GPU 1" 'GPU 1: 2 trials at once from now on: one of 3 ran out of memory' tests/tmp/gpu-oom.log
check_grep "oom: retried" 'runs the configuration of out-of-memory trial [0-9]+ again' tests/tmp/gpu-oom.log
# Each GPU's third trial runs out of memory; under load a retry may land on the other
# GPU before that GPU's own third trial has failed, and then runs again too.
fails=$(state_count gpu-oom FAIL)
check "oom: two or more trials ran out of memory (saw $fails)" test "$fails" -ge 2
check_eq "oom: every failure runs again" \
    "$(grep -c "FAIL  *out of GPU memory (runs again)" tests/tmp/gpu-oom/report.txt)" "$fails"
check_eq "oom: the budget still completes" "$(state_count gpu-oom COMPLETE)" 8
check_grep "oom: the reason" 'FAIL +out of GPU memory \(runs again\): CUDA Error: out of memory' tests/tmp/gpu-oom/report.txt
# Each failed configuration ran again: its learning rate appears in a COMPLETE row too.
csv=tests/tmp/gpu-oom/trials.csv
for lr in $(awk -F, '$2 == "FAIL" { print $4 }' "$csv" | sort -u); do
  check_eq "oom: lr $lr ran again" "$(awk -F, -v lr="$lr" '$2 == "COMPLETE" && $4 == lr' "$csv" | wc -l)" 1
done
# Resumed, the finished study owes nothing: each retry already ran.
FAKE_GPUS=2 FAKE_GPU_CAP=8 FAKE_GPU_OOM=2 "$DARKTUNE" run tests/study/gpu-oom.ini > tests/tmp/gpu-oom-again.log 2>&1
check_eq "oom: resume exit status" "$?" 0
check_grep "oom: resume owes no retry" 'kept, 0 configurations to run again' tests/tmp/gpu-oom-again.log
check_eq "oom: resume adds no trial" "$(rows gpu-oom)" $((8 + fails))
check_eq "oom: both GPUs used" "$(awk '{ print $2 }' "$FAKE_GPU_DIR/starts" | sort -u | tr '\n' ' ')" "0 1 "
finish t_gpu_pack
