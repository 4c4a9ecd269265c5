#!/usr/bin/env bash
# darktune lrfind, the learning-rate range test, end to end: in-process on the
# Fashion-MNIST subsets (100 iterations, about 7 s), through runner = exec with the
# Debian darknet (60 iterations, about 5 s), against a darknet that ignores policy=exp,
# and the command line's refusals.
set -u
. tests/lib.sh
rm -rf tests/tmp/lrfind tests/tmp/lrfind-exec tests/tmp/lrfind-fake
fashion_small_data

# The in-process test.
out=tests/tmp/lrfind
log=tests/tmp/lrfind.log
"$DARKTUNE" lrfind tests/study/lrfind.ini > "$log" 2>&1
check_eq "exit status" "$?" 0
cfg=$out/lrfind/lrfind.cfg
net() { sed -n "s/^$1=//p" "$2"; }
check_eq "cfg: policy" "$(net policy "$cfg")" exp
check_eq "cfg: learning_rate is --from" "$(net learning_rate "$cfg")" 1e-06
check_eq "cfg: burn_in" "$(net burn_in "$cfg")" 0
check_eq "cfg: max_batches is --iterations" "$(net max_batches "$cfg")" 100
check_eq "cfg: poly's power dropped" "$(grep -c '^power=' "$cfg")" 0
check_eq "cfg: the sweep's fixed momentum" "$(net momentum "$cfg")" 0.8
check_eq "cfg: the base cfg's own decay" "$(net decay "$cfg")" 0.0005
check_eq "the store is not touched" "$(ls "$out"/study.db 2>/dev/null | wc -l)" 0

svg=$out/lrfind.svg
check "lrfind.svg written" test -s "$svg"
# The smoothed curve: one polyline with a point per iteration read.
points=$(grep 'class="smoothed"' "$svg" | sed 's/.*points="\([^"]*\)".*/\1/' | tr ' ' '\n' | grep -c ,)
check "svg: the smoothed curve has many points ($points)" test "$points" -ge 30
check_eq "svg: no script, no link" "$(grep -Ec '<script|href=|@import|url\(' "$svg")" 0
check_eq "svg: no address but the SVG namespace" "$(grep -o 'http[^"]*' "$svg" | sort -u)" http://www.w3.org/2000/svg

csv=$out/lrfind.csv
check_eq "csv header" "$(head -n 1 "$csv")" "iteration,rate,loss,smoothed"
rows=$(tail -n +2 "$csv" | wc -l)
check "csv: a row per iteration up to the divergence ($rows)" test "$rows" -ge 30 -a "$rows" -le 100
# Each rate is the one before times (10 / 1e-6)^(1/100), within 1%; the first is 1e-6 times it.
check_eq "csv: the rate grows exponentially" "$(awk -F, -v g="$(awk 'BEGIN { print exp(log(1e7) / 100) }')" '
    NR == 2 && (($2 / (1e-6 * g)) - 1) ^ 2 > 1e-4 { bad++ }
    NR > 2 && (($2 / prev / g) - 1) ^ 2 > 1e-4 { bad++ }
    NR > 1 { prev = $2 } END { print bad + 0 }' "$csv")" 0
check_eq "csv: iterations 1, 2, 3, ..." "$(awk -F, 'NR > 1 && $1 != NR - 1' "$csv" | wc -l)" 0
# Darknet's own rate column in the log (6 decimals: compared from 1e-3 on) is the csv's.
check_eq "the log's rates are the csv's" "$(awk -F, 'NR == FNR { if (FNR > 1) r[$1] = $2; next }
    /rate, / { split($1, a, ","); n = a[1]; sub(/ rate,.*/, ""); sub(/.* /, "");
               if (n in r && r[n] >= 1e-3 && (($0 / r[n]) - 1) ^ 2 > 1e-4) bad++; seen++ }
    END { print (seen > 0) + 0, bad + 0 }' "$csv" "$out/lrfind/log.txt")" "1 0"
# It stopped at the divergence: the last loss is not finite, or its smoothed loss is
# more than 4 times the smallest before it.
check_eq "stopped at the divergence" "$(awk -F, 'NR > 1 { n++; l[n] = $3; s[n] = $4 }
    END { for (i = 1; i < n; i++) if (s[i] != "" && (min == "" || s[i] + 0 < min)) min = s[i] + 0
          print (l[n] !~ /^[0-9.e+-]+$/ || s[n] > 4 * min) ? "yes" : "no" }' "$csv")" yes
check_grep "says where it diverged" '^diverged at rate [0-9.e+-]+ \(iteration [0-9]+: ' "$log"

line=$(grep -E '^learning_rate = log\([0-9.e+-]+, [0-9.e+-]+\)$' "$log")
check "a learning_rate line for [space]" test -n "$line"
a=$(sed -E 's/.*log\(([^,]+), .*/\1/' <<<"$line") b=$(sed -E 's/.*, ([^)]+)\)$/\1/' <<<"$line")
check_eq "the range lies in [1e-6, 10], low below high ($a, $b)" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN { print (a >= 1e-6 && b <= 10 && a < b) ? "yes" : "no" }')" yes
# The rule: a tenth of the steepest descent's rate, a tenth of the divergence's (rounded).
steep=$(sed -nE 's/^steepest descent at rate ([^ ]+) .*/\1/p' "$log")
div=$(sed -nE 's/^diverged at rate ([^ ]+) .*/\1/p' "$log")
check_eq "low is a tenth of the steepest descent, high a tenth of the divergence" \
    "$(awk -v a="$a" -v b="$b" -v s="$steep" -v d="$div" \
        'BEGIN { print (a >= s / 10 / 1.01 && a <= s / 10 * 1.1 && b <= d / 10 * 1.01 && b >= d / 10 / 1.1) ? "yes" : "no" }')" yes
check_grep "the plot on the terminal: the rate axis" '^ +rate +1e-06 +1e-05 ' "$log"
check_grep "the plot on the terminal: the range under it" '^ +[ =s]*\[[=s]*\]' "$log"
echo "measured: $line (steepest descent $steep, diverged $div)"

# Through runner = exec with the Debian darknet: the cfg it trains says policy=exp with
# gamma = (to / from)^(1 / iterations), and darknet's printed rates follow it.
out=tests/tmp/lrfind-exec
"$DARKTUNE" lrfind tests/study/lrfind-exec.ini --iterations 60 --from 1e-5 --to 5 > "$out.log" 2>&1
rc=$?
check "exec: exit status 0 (or 1 with no range to suggest) ($rc)" test "$rc" -eq 0 -o "$rc" -eq 1
cfg=$out/lrfind/lrfind.cfg
check_eq "exec: cfg policy" "$(net policy "$cfg")" exp
check_eq "exec: cfg learning_rate" "$(net learning_rate "$cfg")" 1e-05
check_eq "exec: cfg burn_in" "$(net burn_in "$cfg")" 0
check_eq "exec: cfg max_batches" "$(net max_batches "$cfg")" 60
check_eq "exec: cfg gamma is (5 / 1e-5)^(1/60)" "$(awk -v g="$(net gamma "$cfg")" \
    'BEGIN { w = exp(log(5 / 1e-5) / 60); print ((g / w - 1) ^ 2 < 1e-14) ? "yes" : "no" }')" yes
check_grep "exec: darknet trained it" '^[0-9]+, [0-9.]+: [0-9.]+, .* rate, ' "$out/lrfind/log.txt"
check_eq "exec: darknet's printed rates are the csv's" "$(awk -F, 'NR == FNR { if (FNR > 1) r[$1] = $2; next }
    /rate, / { split($1, a, ","); n = a[1]; sub(/ rate,.*/, ""); sub(/.* /, "");
               if (n in r && r[n] >= 1e-3 && (($0 / r[n]) - 1) ^ 2 > 1e-4) bad++; seen++ }
    END { print (seen > 0) + 0, bad + 0 }' "$out/lrfind.csv" "$out/lrfind/log.txt")" "1 0"
check "exec: lrfind.svg written" test -s "$out/lrfind.svg"

# A darknet whose rate does not follow policy=exp: refused with exit 1, not plotted.
"$DARKTUNE" lrfind tests/study/lrfind-fake.ini > tests/tmp/lrfind-fake.log 2>&1
check_eq "a darknet off the schedule: exit status" "$?" 1
check_grep "a darknet off the schedule: said" 'darktune: Darknet trained iteration [0-9]+ at rate 1e-06 where policy=exp .* does not follow the test.s schedule' \
    tests/tmp/lrfind-fake.log
check_eq "a darknet off the schedule: no plot" "$(ls tests/tmp/lrfind-fake/lrfind.svg 2>/dev/null | wc -l)" 0

# Bad input: exit 2 with a message, before anything runs.
bad_input() {
  local what=$1 want=$2; shift 2
  local msg
  msg=$("$DARKTUNE" lrfind "$@" 2>&1 >/dev/null)
  local rc=$?
  check_eq "$what: exit status" "$rc" 2
  if grep -Eq -- "$want" <<<"$msg"; then ok; else bad "$what: message '$msg' does not match '$want'"; fi
}
rm -rf tests/tmp/lrfind-bad
bad_input "--from above --to" "--from 10 must be below --to 1" tests/study/lrfind.ini --from 10 --to 1 --output tests/tmp/lrfind-bad
bad_input "--from equal to --to" "must be below --to" tests/study/lrfind.ini --from 0.1 --to 0.1 --output tests/tmp/lrfind-bad
bad_input "--from not a number" "--from wants a learning rate above 0, such as 1e-6, not 'abc'" tests/study/lrfind.ini --from abc
bad_input "--to negative" "--to wants a learning rate above 0" tests/study/lrfind.ini --to -1
bad_input "--to inf" "--to wants a learning rate above 0" tests/study/lrfind.ini --to inf
bad_input "--iterations not a number" "--iterations wants a whole number, such as 100, not '1e2x'" tests/study/lrfind.ini --iterations 1e2x
bad_input "--iterations too few" "--iterations must be from 10 to 100000, not 5" tests/study/lrfind.ini --iterations 5
bad_input "runner = table" "table.ini:[0-9]+: runner = table replays recorded runs" tests/study/table.ini
bad_input "no sweep" "usage: darktune lrfind SWEEP.ini" --from 1e-6
check_eq "bad input: nothing written" "$(ls tests/tmp/lrfind-bad 2>/dev/null | wc -l)" 0
finish t_lrfind
