#!/usr/bin/env bash
# `make native`: Debian's darknet source built for this machine's CPU (darknet/build.sh,
# KIND=native) and darktune-native linked against it. The build must use the vector
# units it was built for, train the same Darknet as the Debian package (same first
# loss of the same seed, top-1 within noise), and a second `make native` is a no-op.
# How much faster it trains is `make bench-inprocess`'s to say, not a test's.
set -u
. tests/lib.sh
out=build/darknet-native
darknet_build native "$out"
lib=$out/libdarknet.so
check_grep "config names the CPU it was built for" "^gcc .* -march=native \([a-z0-9-]+\)$" "$out/config"
# Debian builds for every x86-64 (SSE2: no AVX, no FMA); -march=native on a CPU with AVX2
# and FMA must put packed fused multiply-adds into the gemm the native build trains with
# (darknet/native/dt_kernels.c's gemm_cpu). Their width is GCC's choice for the CPU.
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  gemm=$(objdump -d --no-show-raw-insn "$lib" | awk '/<gemm_cpu>:/ { on = 1; next } on && /^$/ { exit } on')
  check "gemm_cpu uses packed fused multiply-adds" grep -qE 'vfmadd[0-9]+ps' <<<"$gemm"
  echo "  gemm_cpu's vectors: $(grep -q ymm <<<"$gemm" && echo 256-bit ymm || echo 128-bit xmm) ($(sed -n 's/^gcc .*(\(.*\))$/\1/p' "$out/config"))"
  check "the Debian gemm_nn has no fused multiply-adds, no ymm (what native adds)" \
    bash -c '! objdump -d --no-show-raw-insn /usr/lib/darknet/libdarknet.so | awk "/<gemm_nn>:/ { on = 1; next } on && /^\$/ { exit } on" | grep -qE "ymm|vfmadd"'
else
  skip "this CPU has no AVX2 and FMA: the check that native uses them"
fi
# The nine kernels of darknet/native/dt_kernels.c against the Debian libdarknet's own, on
# random inputs over a grid of shapes (tests/native_kernels.c); and the check itself
# must catch a gemm that computes nothing.
mkdir -p tests/tmp
cc -std=c11 -D_GNU_SOURCE -O2 -I/usr/lib/darknet/include -o tests/tmp/native_kernels tests/native_kernels.c -ldl -lm
tests/tmp/native_kernels /usr/lib/darknet/libdarknet.so "$lib" > tests/tmp/native-kernels.log 2>&1
check_eq "the native kernels agree with Darknet's own (tests/tmp/native-kernels.log)" "$?" 0
sed 's/^/  /' tests/tmp/native-kernels.log | head -n 12
check_grep "the kernel check ran gemm in every transpose" "^gemm_cpu: [0-9]+ cases" tests/tmp/native-kernels.log
printf 'void gemm_cpu(int ta, int tb, int m, int n, int k, float al, float *a, int lda, float *b, int ldb,\n'\
'              float be, float *c, int ldc) {}\n' > tests/tmp/gemm-nothing.c
cc -shared -fPIC -o tests/tmp/gemm-nothing.so tests/tmp/gemm-nothing.c
tests/tmp/native_kernels /usr/lib/darknet/libdarknet.so tests/tmp/gemm-nothing.so > tests/tmp/native-kernels-nothing.log 2>&1
check_eq "the kernel check fails a gemm that computes nothing: exit status" "$?" 1
check_grep "the kernel check names the gemm that computes nothing" "^MISMATCH gemm_cpu\(" tests/tmp/native-kernels-nothing.log
check_grep "darktune-native names its build" "libdarknet with the native CPU \(-march=native\) libdarknet" \
  <(./darktune-native --version)
check_grep "darktune-native links the native libdarknet" "libdarknet.so => $PWD/$out/libdarknet.so" <(ldd darktune-native)
printf '#include "darknet_build.h"\nint main(void) { return (int)sizeof(layer) == 0; }\n' > tests/tmp/native-consumer.c
check "darknet_build.h compiles with DARKNET_CFLAGS" \
  cc $(sed -n 's/^DARKNET_CFLAGS := //p' "$out/flags.mk") -fsyntax-only tests/tmp/native-consumer.c
check "darknet_build.h refuses -DGPU" \
  bash -c '! cc -DGPU -I"$1" -fsyntax-only tests/tmp/native-consumer.c 2>/dev/null' _ "$out"

# Cached: nothing to fetch, patch or compile.
darknet_build_cached native

# The same study with both builds: three learning rates, the same seed. Each trial's
# first loss (same initial weights, same first batch) agrees to four digits; the
# vector code sums in another order, so the runs drift apart after that, and the final
# top-1 on 1,000 images must stay within 2.5 points (about 2 standard errors).
if [ -f data/fashion/train-6k.list ]; then
  fashion_small_data
  for b in debian native; do
    prog=./darktune; [ $b = native ] && prog=./darktune-native
    rm -rf "tests/tmp/native-$b"
    awk -v o="$PWD/tests/tmp/native-$b" -v d="$PWD/tests/tmp/fashion-small.data" -v c="$PWD/cfg/fashion.cfg" '
      /^output/ { $0 = "output = " o } /^data/ { $0 = "data = " d } /^cfg/ { $0 = "cfg = " c } { print }' <<'INI' > "tests/tmp/native-$b.ini"
[study]
name    = native-parity
output  = x
metric  = top1
trials  = 3
seed    = 3
[darknet]
runner      = libdarknet
data        = x
cfg         = x
max_batches = 150
cpu_slots   = 2
[sampler]
type = grid
[space]
learning_rate = choice(0.003, 0.01, 0.03)
INI
    $prog run "tests/tmp/native-$b.ini" > "tests/tmp/native-$b.log" 2>&1
    check_eq "the parity study with the $b build: exit status" "$?" 0
  done
  # first BUILD TRIAL: the loss of iteration 1, from Darknet's line "1, 0.015: 2.31, 2.31 avg, ..."
  first() { awk -F'[:,]' '$1 == "1" { printf "%.4g\n", $3; exit }' "tests/tmp/native-$1/trials/$2/log.txt"; }
  # top BUILD TRIAL: the trial's top-1 in trials.csv
  top() { awk -F, -v t="$2" 'NR > 1 && $1 == t { print $3 }' "tests/tmp/native-$1/trials.csv"; }
  for t in 0 1 2; do
    check_eq "trial $t: the first loss of both builds" "$(first native $t)" "$(first debian $t)"
    a=$(top debian $t) b=$(top native $t)
    check "trial $t: top-1 within 2.5 points (Debian $a, native $b)" \
      awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; exit !(a != "" && b != "" && d < 0.025 && d > -0.025) }'
  done
else
  skip "data/fashion is missing: make data (the parity of the two builds)"
fi
finish t_native
