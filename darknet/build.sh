#!/usr/bin/env bash
# darknet/build.sh: `make gpu` and `make native`. Builds Debian's darknet source package
# (pjreddie's Darknet) with darktune's patches applied, one of two ways (KIND):
#
#   cuda    with CUDA and, unless CUDNN=0, cuDNN (make gpu)
#   native  for this machine's CPU: Darknet's own -Ofast with -march=native, so that its
#           loops use the vector units the Debian package, built for every x86-64,
#           leaves idle (AVX2 and FMA; make native), and with -DDT_KERNELS: nine of its
#           CPU kernels (gemm, im2col, batch-norm sums, activations) replaced by
#           darknet/native/dt_kernels.c. Same results to rounding, same darknet.h.
#
#   build/darknet-src/pkg/          the source package as apt-get fetched it (cached)
#   build/darknet-src/src/          unpacked (Debian's patches applied), then darknet/patches/*.patch,
#                                   and darknet/native/dt_kernels.c as src/dt_kernels.c
#   build/darknet-gpu/              cuda, CUDNN=1: libdarknet.so, libdarknet.a, darknet, darknet.h,
#   build/darknet-gpu-nocudnn/      cuda, CUDNN=0: the same set
#   build/darknet-native/           native: the same set
#       darknet_build.h, flags.mk   how consumers must compile: darknet.h's structs change
#                                   shape with -DGPU and -DCUDNN
#       build.log                   the compiler's output (many warnings: Darknet's own)
#
# It reuses Darknet's own Makefile, setting its variables (GPU, CUDNN, NVCC, OPTS,
# LDFLAGS, OBJDIR, SLIB, ALIB, EXEC) rather than building another way; Debian's
# debian/rules does the same with OPENCV=1. These builds leave OpenCV out (images load
# through the bundled stb_image, as in the measurements of shared/DARKNET.md); the CUDA
# ones link no libcuda: the CUDA runtime finds the driver when the program runs, so
# they build on machines without a GPU.
#
# Each step runs once and is skipped while its inputs are unchanged: the fetch (needs
# network, and root for the deb-src entry and dpkg-dev), the unpacking and patching
# (redone from the cached package when darknet/patches/ changes), the compilation
# (Darknet's Makefile decides; objects are thrown away when the patches, the compiler,
# CUDA, the architectures, CUDNN or, for native, the CPU change). A cached run takes a
# few seconds and writes nothing.
#
# Environment: KIND (cuda), CUDA (/usr/local/cuda), CUDNN (1), GPU_ARCH (nvcc -gencode
# options; empty: the ARCH of darknet/patches/01-cuda-arch.patch), GPU_JOBS (2, the
# compiler's jobs for either kind). Compiles run at nice 19. It does not install CUDA or
# cuDNN and runs nothing on a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t0=$(date +%s)

KIND=${KIND:-cuda}
CUDA=${CUDA:-/usr/local/cuda}
CUDNN=${CUDNN:-1}
GPU_ARCH=${GPU_ARCH:-}
GPU_JOBS=${GPU_JOBS:-2}

die() { echo "make $([ "$KIND" = native ] && echo native || echo gpu): $*" >&2; exit 1; }
say() { echo "$*"; }

case $KIND in
  cuda) case $CUDNN in
          1) out=build/darknet-gpu ;;
          0) out=build/darknet-gpu-nocudnn ;;
          *) die "CUDNN must be 0 or 1, not '$CUDNN'" ;;
        esac ;;
  native) out=build/darknet-native CUDNN=0 ;;
  *) echo "darknet/build.sh: KIND must be cuda or native, not '$KIND'" >&2; exit 1 ;;
esac
case $GPU_JOBS in ''|*[!0-9]*) die "GPU_JOBS must be a number, not '$GPU_JOBS'" ;; esac
base=build/darknet-src      # the package and its patched source serve every build
pkg=$base/pkg
src=$base/src

if [ "$KIND" = cuda ]; then
  [ -x "$CUDA/bin/nvcc" ] || die "no nvcc at '$CUDA/bin/nvcc': install the CUDA toolkit or set CUDA"
  if [ "$CUDNN" = 1 ] && [ ! -f "$CUDA/include/cudnn.h" ]; then
    die "no cudnn.h in '$CUDA/include': install cuDNN, or build without it: make gpu CUDNN=0"
  fi
  compiler="CUDA=$CUDA nvcc $("$CUDA/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
else
  # What -march=native means here (znver3, skylake, ...): objects built for another CPU go.
  march=$(gcc -march=native -Q --help=target 2> /dev/null | awk '$1 == "-march=" { print $2 }')
  compiler="gcc $(gcc -dumpfullversion) -march=native ($march)"
fi

mkdir -p "$base" "$out"
# One build at a time: make test and a user's make gpu may meet here.
exec 9>> "$base/.lock"
flock 9

# 1. The source package, fetched once. apt-get source needs a deb-src entry and dpkg-dev.
need_root() {
  [ "$(id -u)" = 0 ] || die "$1: run as root once (make $([ "$KIND" = native ] && echo native || echo gpu)), or do it yourself"
}
if ! ls "$pkg"/darknet_*.dsc > /dev/null 2>&1; then
  if ! command -v dpkg-source > /dev/null; then
    need_root "dpkg-dev is missing (dpkg-source unpacks the package)"
    say "installing: dpkg-dev"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpkg-dev > /dev/null
  fi
  if ! apt-cache showsrc darknet 2>/dev/null | grep -q '^Package: darknet$'; then
    list=/etc/apt/sources.list.d/darktune-src.sources
    need_root "apt has no deb-src entry for bookworm main (needed by apt-get source darknet)"
    if [ ! -f "$list" ]; then
      say "adding $list (deb-src, bookworm main)"
      printf '%s\n' "# Added by darktune's make gpu or make native: apt-get source darknet." \
        "Types: deb-src" "URIs: http://deb.debian.org/debian" "Suites: bookworm" \
        "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" > "$list"
    fi
    apt-get update -qq || die "apt-get update failed"
    apt-cache showsrc darknet 2>/dev/null | grep -q '^Package: darknet$' \
      || die "apt still knows no source package 'darknet' after adding $list"
  fi
  say "fetching the Debian source package darknet"
  rm -rf "$pkg.tmp" && mkdir -p "$pkg.tmp"
  # As root apt would fall back to an unsandboxed download with a warning; say so up front.
  sandbox=(); [ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$pkg.tmp" && apt-get source -qq --download-only "${sandbox[@]}" darknet) \
    || die "apt-get source darknet failed"
  rm -rf "$pkg" && mv "$pkg.tmp" "$pkg"
fi
dsc=$(ls "$pkg"/darknet_*.dsc | head -n 1)

# 2. Unpacked and patched, once per set of patches: the stamp lists each patch's checksum
#    and the kernels'.
patches=$(ls darknet/patches/*.patch 2> /dev/null | sort)
[ -n "$patches" ] || die "no patches in darknet/patches/"
kernels=darknet/native/dt_kernels.c
want=$( { basename "$dsc"; sha256sum $patches $kernels; } )
if [ ! -f "$base/patches.applied" ] || [ "$(cat "$base/patches.applied")" != "$want" ] || [ ! -d "$src" ]; then
  say "unpacking $(basename "$dsc") and applying darknet/patches/"
  rm -rf "$src" "$src.tmp" "$base/patches.applied"
  # dpkg-source checks the files against the .dsc (apt checked the .dsc against Debian's
  # signed index); it also says it cannot check the uploader's signature: that goes to the log.
  dpkg-source --no-copy -x "$dsc" "$src.tmp" > "$base/unpack.log" 2>&1 \
    || { cat "$base/unpack.log" >&2; die "dpkg-source -x $dsc failed"; }
  for p in $patches; do
    patch -d "$src.tmp" -p1 --forward --batch --quiet < "$p" \
      || die "$p does not apply to $(basename "$dsc")"
    say "  applied $p"
  done
  cp "$kernels" "$src.tmp/src/"
  mv "$src.tmp" "$src"
  printf '%s\n' "$want" > "$base/patches.applied"
fi

# 3. Compiled with Darknet's Makefile. Objects built under another configuration (or
#    from other patches: unpatched files keep their 2018 times) are thrown away first;
#    an interrupted compilation resumes where it stopped.
config=$(printf '%s\n' "$want" "KIND=$KIND" "$compiler" "CUDNN=$CUDNN" "GPU_ARCH=$GPU_ARCH")
if [ ! -f "$out/config" ] || [ "$(cat "$out/config")" != "$config" ]; then
  rm -rf "$out/obj" "$out/libdarknet.so" "$out/libdarknet.a" "$out/darknet"
  printf '%s\n' "$config" > "$out/config"
fi
mkdir -p "$out/obj"
abs=$root/$out
if [ "$KIND" = cuda ]; then
  libs="-lcudart -lcublas -lcurand"
  [ "$CUDNN" = 1 ] && libs="$libs -lcudnn"
  args=(GPU=1 "CUDNN=$CUDNN" OPENCV=0 OPENMP=0
        "NVCC=$CUDA/bin/nvcc" "CC=gcc -I$CUDA/include"
        "LDFLAGS=-lm -pthread -L$CUDA/lib64 -Wl,-rpath,$CUDA/lib64 $libs -lstdc++")
  [ -n "$GPU_ARCH" ] && args+=("ARCH=$GPU_ARCH")
else
  # One thread per trial, as in the Debian build: darktune runs a trial per core.
  args=(GPU=0 CUDNN=0 OPENCV=0 OPENMP=0 "OPTS=-Ofast -march=native -DDT_KERNELS")
fi
args+=("OBJDIR=$abs/obj/" "SLIB=$abs/libdarknet.so" "ALIB=$abs/libdarknet.a" "EXEC=$abs/darknet")
targets=("$abs/libdarknet.so" "$abs/darknet")
# Nothing of the caller's make (its variables, its jobserver) leaks into Darknet's.
dmake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES nice -n 19 make -C "$src" "${args[@]}" "$@"; }
state="up to date"
if ! dmake -q "${targets[@]}" > /dev/null 2>&1; then
  state="compiled"
  say "compiling darknet ($KIND: $compiler$([ "$KIND" = cuda ] && echo ", CUDNN=$CUDNN"), -j$GPU_JOBS, nice 19): log in $out/build.log"
  if ! dmake -j"$GPU_JOBS" "${targets[@]}" > "$out/build.log" 2>&1; then
    if grep -qE 'error|Error' "$out/build.log"; then grep -E 'error|Error' "$out/build.log" | head -n 20 >&2
    else tail -n 20 "$out/build.log" >&2; fi
    die "compiling failed; see $out/build.log"
  fi
fi

# 4. The header and how to compile against this libdarknet; rewritten only when they change.
put() { # put FILE: stdin becomes FILE unless FILE already holds exactly that.
  local text; text=$(cat)
  [ -f "$1" ] && [ "$(cat "$1")" = "$text" ] || printf '%s\n' "$text" > "$1"
}
cmp -s "$src/include/darknet.h" "$out/darknet.h" || cp "$src/include/darknet.h" "$out/darknet.h"
if [ "$KIND" = native ]; then
  put "$out/darknet_build.h" <<EOF
/* Generated by darknet/build.sh. The libdarknet.so beside this file was built for this
 * machine's CPU (-march=native), without GPU and CUDNN: darknet.h's structs have the
 * Debian package's shape. Include this header instead of darknet.h. */
#ifndef DARKNET_BUILD_H
#define DARKNET_BUILD_H
#if defined(GPU) || defined(CUDNN)
#error "$out/libdarknet.so is a CPU build: compile with DARKNET_CFLAGS from $out/flags.mk, without -DGPU"
#endif
#define DARKNET_BUILD_NATIVE 1
#include "darknet.h"
#endif
EOF
  put "$out/flags.mk" <<EOF
# Generated by darknet/build.sh: how to compile and link against $out/libdarknet.so.
DARKNET_CFLAGS := -DDT_DARKNET_NATIVE -I$abs
DARKNET_LDLIBS := -L$abs -Wl,-rpath,$abs -ldarknet -lm -pthread
EOF
else
defs="-DGPU"; [ "$CUDNN" = 1 ] && defs="-DGPU -DCUDNN"
if [ "$CUDNN" = 1 ]; then cudnn_check="#ifndef CUDNN"; else cudnn_check="#ifdef CUDNN"; fi
put "$out/darknet_build.h" <<EOF
/* Generated by darknet/build.sh. The libdarknet.so beside this file was built with
 * $defs. darknet.h's structs (layer, network) change shape with GPU and CUDNN, so code
 * linked with it must be compiled with exactly those macros (DARKNET_CFLAGS in flags.mk).
 * Include this header instead of darknet.h: it refuses to compile with other macros. */
#ifndef DARKNET_BUILD_H
#define DARKNET_BUILD_H
#ifndef GPU
#error "$out/libdarknet.so was built with $defs: compile with DARKNET_CFLAGS from $out/flags.mk"
#endif
$cudnn_check
#error "$out/libdarknet.so was built with $defs: compile with DARKNET_CFLAGS from $out/flags.mk"
#endif
#define DARKNET_BUILD_CUDNN $CUDNN
#include "darknet.h"
#endif
EOF
put "$out/flags.mk" <<EOF
# Generated by darknet/build.sh: how to compile and link against $out/libdarknet.so.
# darknet.h's structs change shape with -DGPU and -DCUDNN: use exactly these macros.
DARKNET_CFLAGS := $defs -I$abs -I$CUDA/include
DARKNET_LDLIBS := -L$abs -Wl,-rpath,$abs -ldarknet -L$CUDA/lib64 -Wl,-rpath,$CUDA/lib64 $libs -lm -pthread
EOF
fi

size() { du -h "$1" | cut -f1; }
if [ "$KIND" = native ]; then
  what="-march=native: $march"
else
  # The code= targets of the ARCH Darknet's Makefile used: sm_NN is machine code, compute_NN PTX.
  archs=$(dmake -s --eval 'darktune-arch: ; @echo $(ARCH)' darktune-arch | grep -oE 'code=\[?[a-z0-9_,]+' \
          | sed 's/code=\[\?//' | tr ',' '\n' | awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ $//')
  what="$defs; $archs"
fi
say "✓ $out: libdarknet.so $(size "$out/libdarknet.so"), darknet $(size "$out/darknet"), darknet.h, darknet_build.h, flags.mk ($what; $state, $(( $(date +%s) - t0 )) s)"
