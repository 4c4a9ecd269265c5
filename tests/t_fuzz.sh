#!/usr/bin/env bash
# libFuzzer over the parsers (make fuzz-check, build/fuzz, ASan and UBSan on): the
# cfg reader/writer, the log-line parser, the space expressions, the sweep parser and the
# Optuna journal reader.
# Each runs FUZZ_SECONDS (10) from a seed corpus of the examples and golden files,
# then every input saved in tests/fuzz/regress/NAME/ (crashes found before, each a
# regression test) runs once. A crash found now is saved into tests/tmp/fuzz/ and
# fails the test: copy it into tests/fuzz/regress/NAME/ with the fix.
set -u
. tests/lib.sh
b=build/fuzz
secs=${FUZZ_SECONDS:-10}
tmp=tests/tmp/fuzz
if [ ! -x "$b/fuzz_cfg" ]; then
  skip "no fuzzers in $b: make fuzz-check (make test does it) builds them with Debian's clang"
  finish t_fuzz; exit 0
fi
rm -rf "$tmp" && mkdir -p "$tmp"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
# seeds NAME FILE...: a fresh corpus folder with those files.
seeds() { local d=$tmp/corpus-$1; shift; mkdir -p "$d"; local f; for f in "$@"; do [ -f "$f" ] && cp "$f" "$d/"; done; }
seeds cfg cfg/*.cfg tests/sweeps/*.cfg tests/golden/cfg/* /usr/share/darknet/cfg/yolov3-tiny.cfg
seeds logparse tests/golden/logparse/*
seeds space
printf '%s\n' 'log(1e-4, 0.1)' 'uniform(0.5, 0.99)' 'int(0, 400, step=50)' 'logint(1, 64)' \
  'choice(constant, steps, poly)' '0.9' 'choice(0.8, 0.9)' 'uniform(1, 4, step=0.5)' |
  awk -v d="$tmp/corpus-space" '{ print > (d "/seed" NR) }'
seeds sweep sweeps/*.ini tests/sweeps/*.ini tests/bad/*/*.ini tests/study/*.ini
seeds journal tests/golden/optuna/*.jsonl
for f in cfg logparse space sweep journal; do
  out=$tmp/$f
  mkdir -p "$out"
  "$b/fuzz_$f" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" "$tmp/corpus-$f" > "$out.log" 2>&1
  rc=$?
  check_eq "fuzz_$f: ${secs}s without a finding (exit status; log in $out.log)" "$rc" 0
  [ $rc -eq 0 ] || { grep -E -m 1 -A 8 'ERROR|runtime error|deadly signal' "$out.log" >&2; }
  runs=$(sed -n 's/^#\([0-9]*\).*DONE.*/\1/p' "$out.log" | tail -n 1)
  check "fuzz_$f: ran inputs (${runs:-0})" test "${runs:-0}" -gt 100
  if ls tests/fuzz/regress/"$f"/* > /dev/null 2>&1; then
    "$b/fuzz_$f" tests/fuzz/regress/"$f"/* > "$out-regress.log" 2>&1
    check_eq "fuzz_$f: saved crashes stay fixed" "$?" 0
  fi
done
rm -f tests/sweeps/tmp-fuzz-*.ini
finish t_fuzz
