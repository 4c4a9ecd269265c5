#!/usr/bin/env bash
# tests/gpu/kit.sh (make gpu-kit): packs into build/gpu-kit/ what tests/gpu/check.sh
# needs on a GPU machine that has neither Debian's packages nor a network, so that the
# device check spends its minutes measuring, not building:
#   cudnn/, nocudnn/       darknet and libdarknet.so of `make gpu` and `make gpu CUDNN=0`
#   darktune-cuda          darktune's in-process runner linked against cudnn/
#   lib/                   libinih and libsqlite3, which darktune-cuda loads
#   fashion-mnist/, mkfashion   Debian's Fashion-MNIST files and the converter to PNGs
#   mkshapes               the shapes data set's generator (the detector's check)
# About 45 MB. Carry build/gpu-kit (and nothing else built) to the device and run
# `bash tests/gpu/check.sh` there.
set -euo pipefail
cd "$(dirname "$0")/../.."
kit=build/gpu-kit
rm -rf "$kit" && mkdir -p "$kit/cudnn" "$kit/nocudnn" "$kit/lib" "$kit/fashion-mnist"
for b in cudnn nocudnn; do
  d=build/darknet-gpu; [ "$b" = nocudnn ] && d=build/darknet-gpu-nocudnn
  [ -x "$d/darknet" ] && [ -f "$d/libdarknet.so" ] || { echo "gpu-kit: no $d (make gpu$([ $b = nocudnn ] && echo ' CUDNN=0'))" >&2; exit 1; }
  cp "$d/darknet" "$d/libdarknet.so" "$kit/$b/"
done
[ "$(cat build/cuda/gpu_dir 2>/dev/null)" = build/darknet-gpu ] || { echo "gpu-kit: darktune-cuda is not linked against build/darknet-gpu (make gpu)" >&2; exit 1; }
cp darktune-cuda build/mkfashion build/mkshapes "$kit/"
for l in libinih.so.1 libsqlite3.so.0; do
  p=$(ldd darktune-cuda | awk -v l="$l" '$1 == l { print $3 }')
  [ -n "$p" ] || { echo "gpu-kit: darktune-cuda does not load $l" >&2; exit 1; }
  cp -L "$p" "$kit/lib/$l"
done
cp /usr/share/datasets/fashion-mnist/*.gz "$kit/fashion-mnist/"
echo "gpu-kit: $(du -sh "$kit" | cut -f1) in $kit"
