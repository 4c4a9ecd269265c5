#!/usr/bin/env bash
# A study of three objectives end to end (tests/study/pareto.ini): top-1 against the
# inference time per image (ms, each trial's final weights timed in its child) and the
# network's size (bflops, from its cfg), over the input size (height = same(width)) and
# the rate, in-process on the Fashion-MNIST subsets, the last trials from the
# multi-objective TPE. Checked against what is recomputed here from trials.csv: the
# front (pareto.csv and one deployable cfg per trial on it), the knee in best.cfg, the
# sizes' BFLOPs, and [study] choose picking the best top-1 within a size budget.
set -u
. tests/lib.sh
out=tests/tmp/pareto
rm -rf "$out" tests/tmp/pareto-choose.ini && fashion_small_data

"$DARKTUNE" run tests/study/pareto.ini > "$out.log" 2>&1
check_eq "exit status" "$?" 0
check_grep "run: the objectives in the header" "maximize top1, minimize ms, minimize bflops, 60 iterations each" \
  "$out.log"
csv=$out/trials.csv
check_eq "trials.csv: ms and bflops after the value" "$(head -n 1 "$csv")" \
  "number,state,value,ms,bflops,width,learning_rate,iterations,seconds"
check_eq "every trial complete" "$(awk -F, 'NR > 1 && $2 != "COMPLETE"' "$csv" | wc -l)" 0
grep -E '^trial +[0-9]+ +(FAIL|PRUNED)' "$out.log" | sed 's/^/  /'   # why, if one was not
check_eq "every trial timed" "$(awk -F, 'NR > 1 && !($4 > 0 && $5 > 0)' "$csv" | wc -l)" 0
check_eq "both sizes tried" "$(awk -F, 'NR > 1 { print $6 }' "$csv" | sort -u | tr '\n' ' ')" "28 56 "
# 56x56 is four times the pixels of 28x28 through the same convolutions: 4x the BFLOPs
# exactly, and more time per image (a mean over trials: one timing may be noisy).
check_eq "bflops: 56x56 is 4x 28x28" \
  "$(awk -F, 'NR > 1 { b[$6] = $5 } END { printf "%.3f", b[56] / b[28] }' "$csv")" "4.000"
check "ms: 56x56 slower than 28x28" \
  awk -F, 'NR > 1 { s[$6] += $4; n[$6]++ } END { exit !(s[56] / n[56] > s[28] / n[28]) }' "$csv"
check_eq "the trial's cfg is square" "$(grep -E '^(width|height)=' "$out/trials/0/trial.cfg" | sort | tr '\n' ' ')" \
  "height=28 width=28 "

# The front, recomputed: the complete trials no other trial beats in all three objectives.
front=$(awk -F, 'NR > 1 && $2 == "COMPLETE" { n++; id[n] = $1; a[n] = $3; m[n] = $4; f[n] = $5 }
  END { for (i = 1; i <= n; i++) { d = 0
          for (j = 1; j <= n; j++)
            if (j != i && a[j] >= a[i] && m[j] <= m[i] && f[j] <= f[i] &&
                (a[j] > a[i] || m[j] < m[i] || f[j] < f[i])) d = 1
          if (!d) print id[i] } }' "$csv" | sort -n | tr '\n' ' ')
check "the front is not empty" test -n "$front"
check_eq "pareto.csv: header" "$(head -n 1 "$out/pareto.csv")" \
  "number,top1,ms,bflops,width,learning_rate,iterations,seconds,cfg,weights"
rows() { tail -n +2 "$out/pareto.csv" | cut -d, -f"$1"; }
check_eq "pareto.csv: exactly the front" "$(rows 1 | sort -n | tr '\n' ' ')" "$front"
check_eq "pareto.csv: by ms, fastest first" "$(rows 3 | sort -g -c && echo sorted)" sorted
check_eq "pareto/: one cfg per trial on the front" "$(ls "$out/pareto" | sed 's/\.cfg$//' | sort -n | tr '\n' ' ')" \
  "$front"
for n in $front; do
  w=$(awk -F, -v n="$n" '$1 == n { print $6 }' "$csv")
  check_eq "pareto/$n.cfg: its size" "$(grep -E '^(width|height)=' "$out/pareto/$n.cfg" | sort | tr '\n' ' ')" \
    "height=$w width=$w "
  check_grep "pareto/$n.cfg: headed with its objectives" \
    "^# darktune: study 'pareto-e2e', trial $n.*top1 = .* \(maximize\), ms = .* \(minimize\), bflops = .*" \
    "$out/pareto/$n.cfg"
  check "pareto/$n.cfg: its weights are kept" test -s "$(awk -F, -v n="$n" '$1 == n { print $10 }' "$out/pareto.csv")"
done
# Trials off the front keep no weights.
for n in $(awk -F, 'NR > 1 { print $1 }' "$csv"); do
  case " $front" in *" $n "*) continue ;; esac
  check_eq "trial $n (off the front): no weights" "$(find "$out/trials/$n/backup" -type f | wc -l)" 0
done

# best.cfg: the knee (no choose in the sweep), on the front, saying so.
b=$(sed -n "1s/^# darktune: study 'pareto-e2e', trial \([0-9]*\).*/\1/p" "$out/best.cfg")
case " $front" in *" $b "*) ok ;; *) bad "best.cfg: trial '$b' is on the front ($front)" ;; esac
check_grep "best.cfg: the rule that chose it" "^# the front's knee \(the sweep has no choose\)" "$out/best.cfg"
check_grep "report.txt: the objectives" "^objectives maximize top1, minimize ms, minimize bflops$" "$out/report.txt"
check_grep "report.txt: the front" "^front: [0-9]+ trials? that no other trial beats in every" "$out/report.txt"
check_grep "report.html: the front drawn" 'data-plot="front"' "$out/report.html"
check_eq "store: ms and bflops of every trial" \
  "$(sqlite3 "$out/study.db" 'select count(*) from trial where ms > 0 and bflops > 0')" "$(tail -n +2 "$csv" | wc -l)"

# Exported, the study is one of three objectives for Optuna, and Optuna's own Pareto
# front of it (study.best_trials) is pareto.csv's.
"$DARKTUNE" export tests/study/pareto.ini --optuna-journal "$out.jsonl" > "$out.export" 2>&1
check_eq "export: exit status" "$?" 0
if need_optuna tests/tmp; then
  got=$(bench/.venv/bin/python - "$out.jsonl" 2> "$out.optuna" <<'PY'
import sys
import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
optuna.logging.set_verbosity(optuna.logging.WARNING)
s = optuna.load_study(study_name="pareto-e2e", storage=JournalStorage(JournalFileBackend(sys.argv[1])))
print(len(s.directions), " ".join(str(t.number) for t in sorted(s.best_trials, key=lambda t: t.number)))
PY
)
  check_eq "Optuna: three directions, its best_trials the front" "$got" "3 ${front% }"
else
  skip "Optuna could not be installed into bench/.venv (${optuna_why:-no python3 -m venv})"
fi

# darktune best prints the front; a cfg of a trial no longer on it is removed.
touch "$out/pareto/999.cfg"
"$DARKTUNE" best tests/study/pareto.ini > "$out.best" 2>&1
check_eq "best: exit status" "$?" 0
check_grep "best: the chosen trial" "^best trial $b( \(baseline\))?: top1 = .*, ms = .*, bflops = " "$out.best"
check_grep "best: the front as a table" "^  trial +top1 +ms +bflops +width +learning_rate$" "$out.best"
check_eq "best: one row per trial on the front" "$(grep -cE '^[* ] +[0-9]+ ' "$out.best")" "$(echo $front | wc -w)"
check "best: a stale pareto cfg removed" test ! -e "$out/pareto/999.cfg"

# choose: the best top-1 among the 28x28 trials (BFLOPs within the small size's, a
# little above: trials.csv rounds them).
b28=$(awk -F, '$6 == 28 { printf "%.6g", $5 * 1.001; exit }' "$csv")
want=$(awk -F, 'NR > 1 && $6 == 28 && (w == "" || $3 > v) { v = $3; w = $1 } END { print w }' "$csv")
sed "s|^output .*|output = pareto|; s|\.\./tmp/|./|; s|^seed .*|&\nchoose = top1 where bflops <= $b28|" \
  tests/study/pareto.ini > tests/tmp/pareto-choose.ini
"$DARKTUNE" best tests/tmp/pareto-choose.ini > "$out.choose" 2>&1
check_eq "choose: exit status" "$?" 0
check_grep "choose: the best top-1 within the budget" "^best trial $want( \(baseline\))?:" "$out.choose"
check_grep "choose: best.cfg says so" "^# chosen by choose = top1 where bflops <= $b28$" "$out/best.cfg"
sed -i "s|^choose = .*|choose = top1 where bflops < 0.0000001|" tests/tmp/pareto-choose.ini
"$DARKTUNE" best tests/tmp/pareto-choose.ini > "$out.choose" 2>&1
check_grep "choose: nothing meets it, the knee instead" \
  "^# the front's knee: no trial meets choose = top1 where bflops < 0.0000001$" "$out/best.cfg"
finish t_front
