#!/usr/bin/env bash
# `make gpu` compiles and links wherever nvcc is, GPU or not, so the CUDA + cuDNN build
# of Debian's darknet (darknet/build.sh, darknet/patches/) cannot rot unnoticed:
# the library links the CUDA libraries and cuDNN, uses the cuDNN 8+ algorithm queries of
# our patch, exports Darknet's GPU functions, and a second `make gpu` is a quick no-op.
# Nothing runs on a GPU here: tests/gpu/check.sh does that on a machine with one.
set -u
. tests/lib.sh
CUDA=${CUDA:-/usr/local/cuda}
if [ ! -x "$CUDA/bin/nvcc" ] && command -v nvcc > /dev/null; then
  CUDA=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")
fi
if [ ! -x "$CUDA/bin/nvcc" ]; then
  skip "no nvcc: the CUDA build needs $CUDA/bin/nvcc (install the CUDA toolkit, or set CUDA to its folder)"
  finish t_gpu_build
  exit
fi
export CUDA
out=build/darknet-gpu
darknet_build gpu "$out"
lib=$out/libdarknet.so
needed=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for l in libcudart libcublas libcurand libcudnn; do
  check "libdarknet.so links $l" grep -q "^$l\.so" <<<"$needed"
done
check "darknet links libcudnn" grep -q 'libcudnn\.so' <(readelf -d "$out/darknet" 2>/dev/null)
defined=$(nm -D --defined-only "$lib" 2>/dev/null)
undefined=$(nm -D --undefined-only "$lib" 2>/dev/null)
for s in cuda_set_device cudnn_convolutional_setup forward_convolutional_layer_gpu train_network; do
  check "libdarknet.so exports $s" grep -qw "$s" <<<"$defined"
done
for s in Forward BackwardData BackwardFilter; do
  check "uses cudnnGetConvolution${s}Algorithm_v7" grep -qw "cudnnGetConvolution${s}Algorithm_v7" <<<"$undefined"
  check "no removed cudnnGetConvolution${s}Algorithm" \
    bash -c '! grep -qw "$1" <<<"$2"' _ "cudnnGetConvolution${s}Algorithm" "$undefined"
done
for p in darknet/patches/*.patch; do
  check "$p recorded as applied" grep -q " $p\$" build/darknet-src/patches.applied
done

# Consumers compile with flags.mk's macros; darknet_build.h refuses any others.
cflags=$(sed -n 's/^DARKNET_CFLAGS := //p' "$out/flags.mk")
check_eq "flags.mk macros" "$(grep -oE -- '-D[A-Z]+' <<<"$cflags" | tr '\n' ' ')" "-DGPU -DCUDNN "
printf '#include "darknet_build.h"\nint main(void) { return (int)sizeof(layer) == 0; }\n' > tests/tmp/gpu-consumer.c
check "darknet_build.h compiles with DARKNET_CFLAGS" cc $cflags -fsyntax-only tests/tmp/gpu-consumer.c
check "darknet_build.h refuses -DGPU without -DCUDNN" \
  bash -c '! cc -DGPU -I"$1" -I"$2/include" -fsyntax-only tests/tmp/gpu-consumer.c 2>/dev/null' _ "$out" "$CUDA"

# Cached: nothing to fetch, patch or compile.
darknet_build_cached gpu

# darktune-cuda: the in-process runner linked with this build, and saying so.
check "darktune-cuda linked" test -x darktune-cuda
check_grep "darktune-cuda names its build" "libdarknet with the CUDA \+ cuDNN libdarknet" <(./darktune-cuda --version)
check_grep "darktune-cuda links the CUDA libdarknet" "libdarknet.so => $PWD/build/darknet-gpu/libdarknet.so" <(ldd darktune-cuda)
check_grep "darktune links the Debian libdarknet" "libdarknet.so => /usr/lib/darknet/libdarknet.so" <(ldd darktune)
if [ -z "$(ls /proc/driver/nvidia/gpus 2>/dev/null)" ]; then
  # pjreddie's CUDA build cannot train on the CPU: refused up front, not per trial.
  ./darktune-cuda run tests/study/inprocess.ini --output tests/tmp/gpu-cpu > tests/tmp/gpu-cpu.log 2>&1
  check_eq "darktune-cuda without a GPU: exit status" "$?" 2
  check_grep "darktune-cuda without a GPU: message" "trains on a GPU only, and this machine has none" tests/tmp/gpu-cpu.log
  check "darktune-cuda without a GPU: nothing written" test ! -e tests/tmp/gpu-cpu
else
  skip "this machine has a GPU: darktune-cuda's refusal to train without one" \
    "is checked only on a machine without (/proc/driver/nvidia/gpus empty)"
fi
finish t_gpu_build
