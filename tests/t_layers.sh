#!/usr/bin/env bash
# Layers point one way: darknet/base (util, rng, errors) includes only itself;
# darknet/ includes only darknet/ and darknet/base (and Darknet's own darknet.h);
# plugin/ may include anything below it. A quoted #include of a header from a higher
# layer fails here with its FILE:LINE (the Makefile's include paths also refuse it).
set -u
. tests/lib.sh
# check_layer FOLDER ALLOWED...: every quoted include of FOLDER's files (not below
# it) names a header in one of the ALLOWED folders, or darknet.h.
check_layer() {
  local dir=$1; shift
  local f line hdr ok d found=0
  for f in "$dir"/*.c "$dir"/*.h; do
    [ -f "$f" ] || continue
    while IFS=: read -r line hdr; do
      found=$((found + 1))
      hdr=${hdr#*\"}; hdr=${hdr%%\"*}
      ok=0
      [ "$hdr" = darknet.h ] && ok=1
      for d in "$@"; do [ -f "$d/$hdr" ] && ok=1; done
      if [ $ok = 1 ]; then ok; else bad "$f:$line: includes \"$hdr\", from above its layer ($dir may use $*)"; fi
    done < <(grep -n '^#include "' "$f")
  done
  check "$dir: has includes to check" test "$found" -gt 0
}
check_layer darknet/base darknet/base
check_layer darknet darknet darknet/base
check_layer plugin plugin darknet darknet/base
# The checker itself: a tuner header in darknet/ is caught.
tmp=tests/tmp/layers && rm -rf "$tmp" && mkdir -p "$tmp" && printf '#include "dt_sweep.h"\n' > "$tmp/dt_x.c"
out=$(pass=0 fail=0; check_layer "$tmp" darknet darknet/base 2>&1; echo "fail=$fail")
check_grep "a tuner header in the lower layer is refused" 'dt_x.c:1: includes "dt_sweep.h", from above its layer' <(echo "$out")
check_grep "... and counted as a failure" '^fail=1$' <(echo "$out")
finish t_layers
