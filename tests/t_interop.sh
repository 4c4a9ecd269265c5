#!/usr/bin/env bash
# Optuna interop, checked by the latest Optuna (bench/.venv, made here when missing):
# - export: two small real studies (runner = table with every kind of distribution, a
#   conditional parameter, the baseline and pruning; a fake darknet whose trials
#   complete, crash and diverge) are exported with darktune export --optuna-journal and
#   loaded with optuna.load_study(JournalStorage(JournalFileBackend(FILE))): the same
#   trials (numbers, states, values, parameters, intermediate values) as the store
#   holds (read by tests/optuna_interop.py with sqlite3), and the same best trial as
#   darktune best. A journal altered by one value must fail that check.
# - import / warm_start: a journal that Optuna wrote (a good region at learning_rate
#   0.1, and trials that cannot fit) warm-starts a TPE study: its first suggestions
#   lie nearer 0.1 than a cold start's; the left-out trials are counted by reason; the
#   imported trials do not count against the budget nor appear in trials.csv; darktune
#   import + run gives what warm_start gives; malformed journals are refused with
#   FILE:LINE and exit 2, storing nothing (and Optuna refuses them too).
set -u
. tests/lib.sh
tmp=tests/tmp/interop-sh
rm -rf "$tmp" && mkdir -p "$tmp"
py=bench/.venv/bin/python
if [ ! -x "$py" ] || ! "$py" -c 'import optuna' 2> /dev/null; then
  { python3 -m venv bench/.venv && bench/.venv/bin/pip install -q optuna; } > "$tmp/venv.log" 2>&1
fi
if ! "$py" -c 'import optuna' 2> /dev/null; then
  skip "no Optuna in bench/.venv (python3 -m venv bench/.venv && bench/.venv/bin/pip install optuna: $(tail -n 1 "$tmp/venv.log"))"
  finish t_interop; exit 0
fi
echo "Optuna $("$py" -c 'import optuna; print(optuna.__version__)')"

# export SWEEP NAME KIND TUNED [COND]: runs the sweep into $tmp/NAME, exports it, and
# has Optuna check the journal against the store and darktune best.
export_check() {
  local sweep=$1 name=$2 kind=$3 tuned=$4 cond=${5:-} out=$tmp/$2
  "$DARKTUNE" run "$sweep" --output "$out" > "$out.log" 2>&1
  check_eq "$name: the study runs" "$?" 0
  "$DARKTUNE" export "$sweep" --output "$out" --optuna-journal "$out.jsonl" > "$out.export" 2>&1
  check_eq "$name: export's exit status" "$?" 0
  check_grep "$name: export says what it wrote" "^exported study '$name' to .*: [0-9]+ trials" "$out.export"
  "$py" tests/optuna_interop.py check "$out.jsonl" "$out/study.db" "$name" "$kind" "$tuned" $cond > "$out.check" 2>&1
  check_eq "$name: Optuna loads the same trials as the store holds (see $out.check)" "$?" 0
  "$DARKTUNE" best "$sweep" --output "$out" > "$out.best" 2>&1
  local want got
  want=$(sed -nE 's/^best trial ([0-9]+)( \(baseline\))?: [a-z0-9]+ = (.*)$/\1 \3/p' "$out.best")
  got=$(sed -nE 's/^best trial ([0-9]+): (.*)$/\1 \2/p' "$out.check")
  check "$name: darktune has a best trial" test -n "$want"
  check "$name: Optuna's best trial is darktune's ($got against $want)" \
    awk -v a="$got" -v b="$want" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[1] == y[1] && x[2] + 0 == y[2] + 0) }'
}

export_check tests/study/interop.ini interop 1 learning_rate,momentum,batch,burn_in,max_crop,policy,power \
  power:policy=poly
i=$tmp/interop
check_grep "interop: trials complete, pruned" '^optuna: 24 trials, RUNNING 0, COMPLETE [1-9][0-9]*, PRUNED [1-9]' "$i.check"
for d in 'learning_rate FloatDistribution\(high=1.0, log=True, low=0.001, step=None\)' \
         'momentum FloatDistribution\(high=0.85, log=False, low=0.5, step=None\)' \
         'batch CategoricalDistribution\(choices=\(32, 64\)\)' \
         'burn_in IntDistribution\(high=10, log=False, low=0, step=2\)' \
         'max_crop IntDistribution\(high=64, log=True, low=28, step=1\)' \
         "policy CategoricalDistribution\(choices=\('constant', 'poly'\)\)" \
         'power FloatDistribution\(high=4.0, log=False, low=1.0, step=None\)'; do
  check_grep "interop: distribution ${d%% *}" "^distribution $d$" "$i.check"
done
check_grep "interop: the baseline keeps its momentum 0.9 aside" \
  '"trial_id":0,"user_attr":\{"darktune_outside_space":\{"momentum": "0.9"\}\}' "$i.jsonl"
check_grep "interop: a diverged trial's reason is a user attribute" '"darktune_reason":"diverged: ' "$i.jsonl"
check_grep "interop: power only where policy is poly, and somewhere" '"param_name":"power"' "$i.jsonl"
# The check can fail: one intermediate value, one parameter and one state altered.
sed -E '0,/"intermediate_value":0\.[0-9]+/s//"intermediate_value":0.12345/' "$i.jsonl" > "$tmp/altered1.jsonl"
sed -E '0,/"param_name":"momentum","param_value_internal":0\.[0-9]+/s//"param_name":"momentum","param_value_internal":0.55/' \
  "$i.jsonl" > "$tmp/altered2.jsonl"
sed -E '0,/"state":1,/s//"state":3,/' "$i.jsonl" > "$tmp/altered3.jsonl"
for k in 1 2 3; do
  cmp -s "$i.jsonl" "$tmp/altered$k.jsonl"
  check_eq "altered journal $k differs from the export" "$?" 1
  "$py" tests/optuna_interop.py check "$tmp/altered$k.jsonl" "$i/study.db" interop 1 \
    learning_rate,momentum,batch,burn_in,max_crop,policy,power power:policy=poly > "$tmp/altered$k.check" 2>&1
  check_eq "the check finds altered journal $k" "$?" 1
done
check_grep "the check names the altered value" 'MISMATCH: trial [0-9]+: intermediate values' "$tmp/altered1.check"

export_check tests/study/interop-exec.ini interop-exec 0 learning_rate
e=$tmp/interop-exec
check_grep "interop-exec: a crash, a divergence, two complete" \
  '^optuna: 4 trials, RUNNING 0, COMPLETE 2, PRUNED 1, FAIL 1, WAITING 0$' "$e.check"
check_grep "interop-exec: a diverged loss is NaN, as Python writes it" '"intermediate_value":NaN' "$e.jsonl"
check_grep "interop-exec: numbers are choices as numbers" 'CategoricalDistribution\(choices=\(0.01, 0.02, 7, 9\)\)' \
  "$e.check"
"$DARKTUNE" export tests/study/interop-exec.ini --output "$tmp/none" --optuna-journal "$tmp/none.jsonl" > "$tmp/none.log" 2>&1
check_eq "export of a study never run: exit status" "$?" 1
check_grep "export of a study never run: says so" "no study yet" "$tmp/none.log"
"$DARKTUNE" export tests/study/interop-exec.ini > "$tmp/nofile.log" 2>&1
check_eq "export without --optuna-journal: exit status" "$?" 2

# --- Import and warm start.
w=$tmp/w
mkdir -p "$w"
"$py" tests/optuna_interop.py make "$w/elsewhere.jsonl" > "$w/made.txt" 2>&1
check_eq "Optuna writes a study elsewhere" "$?" 0
read -r _ complete _ pruned _ failed _ unknown _ outside < "$w/made.txt"
fit=$((complete + pruned))
# The warm and cold sweeps beside the journal (sweep paths are relative to the sweep).
base=$(sed -e "s|= \.\./golden/|= $PWD/tests/golden/|" -e "s|= fake\.|= $PWD/tests/study/fake.|" \
  -e 's|^output .*|output = out|' tests/study/warm.ini)
printf '%s\n' "$base" > "$w/cold.ini"
printf '%s\n' "$base" | sed 's|^\[sampler\]|[sampler]\nwarm_start = elsewhere.jsonl|' > "$w/warm.ini"
"$DARKTUNE" run "$w/warm.ini" --output "$w/warm" > "$w/warm.log" 2>&1
check_eq "warm start: exit status" "$?" 0
check_grep "warm start: says what fit and what was left out, by reason" \
  "^warm start: .*elsewhere.jsonl, Optuna study 'elsewhere': $fit of 40 trials fit \($complete complete, $pruned pruned\), $((40 - fit)) left out: " \
  "$w/warm.log"
check_grep "warm start: the trial outside the range" " $outside 'learning_rate' outside log\(0.001, 1\) \(trial 0\)" "$w/warm.log"
check_grep "warm start: trials with a parameter the space lacks" " $unknown 'decay' is not in \[space\]" "$w/warm.log"
check_grep "warm start: failed trials" " $failed state FAIL: no value to learn from" "$w/warm.log"
"$DARKTUNE" run "$w/cold.ini" --output "$w/cold" > "$w/cold.log" 2>&1
check_eq "cold start: exit status" "$?" 0
check_eq "warm start: the budget counts the study's own trials only" "$(tail -n +2 "$w/warm/trials.csv" | wc -l)" 12
check_eq "warm start: trials.csv numbers its own trials from 0" "$(sed -n 2p "$w/warm/trials.csv" | cut -d, -f1)" 0
check_eq "warm start: the store marks the imported ones" \
  "$(sqlite3 "$w/warm/study.db" "SELECT count(*) FROM trial WHERE fate = 'imported' AND number < 0")" "$fit"
# The first 10 suggestions: TPE from the first one warm, random (startup_trials 10) cold.
# Their mean distance to 0.1 in decades: a uniform draw on log(1e-3, 1) averages 0.83.
dist() { awk -F, 'NR > 1 && NR <= 11 { d = log($4) / log(10) + 1; s += d < 0 ? -d : d } END { printf "%.3f", s / 10 }' "$1"; }
dw=$(dist "$w/warm/trials.csv") dc=$(dist "$w/cold/trials.csv")
echo "first 10 learning rates, mean distance to 0.1 in decades: warm $dw, cold $dc"
check "warm start: the first suggestions lie near 0.1 (mean $dw decades, under 0.45)" awk -v d="$dw" 'BEGIN { exit !(d < 0.45) }'
check "warm start: nearer than a cold start's, by half at least ($dw against $dc)" \
  awk -v w="$dw" -v c="$dc" 'BEGIN { exit !(2 * w <= c) }'
# Again (a resume): the journal is read again and replaces what it gave.
"$DARKTUNE" run "$w/warm.ini" --output "$w/warm" > "$w/warm2.log" 2>&1
check_eq "warm start again: exit status" "$?" 0
check_eq "warm start again: the imported trials are replaced, not added" \
  "$(sqlite3 "$w/warm/study.db" "SELECT count(*) FROM trial WHERE fate = 'imported'")" "$fit"
# darktune import into the cold sweep's store, then run: the same trials as warm_start.
"$DARKTUNE" import "$w/cold.ini" --output "$w/imported" --optuna-journal "$w/elsewhere.jsonl" > "$w/import.log" 2>&1
check_eq "import: exit status" "$?" 0
check_grep "import: says what it took" "^imported .*elsewhere.jsonl, Optuna study 'elsewhere', into study 'warm' .*: $fit of 40 trials fit" "$w/import.log"
check_grep "import: and what becomes of them" "TPE learns from them .* do not count against its 12 trials" "$w/import.log"
"$DARKTUNE" run "$w/cold.ini" --output "$w/imported" > "$w/imported.log" 2>&1
check_eq "import then run: exit status" "$?" 0
check_grep "import then run: the run says it learns from them" "^$fit imported trials \(darktune import\): TPE learns" \
  "$w/imported.log"
check "import then run: the trials warm_start gives" cmp -s "$w/warm/trials.csv" "$w/imported/trials.csv"
# --study picks one of several; a journal of another direction is refused.
cp "$w/elsewhere.jsonl" "$w/two.jsonl"
printf '{"op_code":0,"worker_id":"x","study_name":"second","directions":[1]}\n' >> "$w/two.jsonl"
"$DARKTUNE" import "$w/cold.ini" --output "$w/two" --optuna-journal "$w/two.jsonl" > "$w/two.log" 2>&1
check_eq "two studies, none named: exit status" "$?" 2
check_grep "two studies, none named: message" "two.jsonl: the journal holds 2 studies \('elsewhere', 'second'\); name one" \
  "$w/two.log"
"$DARKTUNE" import "$w/cold.ini" --output "$w/two" --optuna-journal "$w/two.jsonl" --study second > "$w/two.log" 2>&1
check_eq "a minimizing study into a maximizing one: exit status" "$?" 2
check_grep "a minimizing study: message, at its create_study line" \
  "two.jsonl:$(wc -l < "$w/two.jsonl"): study 'second' minimizes, and this sweep maximizes" "$w/two.log"
check "nothing stored by a refused import" test ! -e "$w/two/study.db"
"$DARKTUNE" import "$w/cold.ini" --output "$w/two" --optuna-journal "$w/two.jsonl" --study elsewhere > "$w/two.log" 2>&1
check_eq "--study elsewhere: exit status" "$?" 0

# Malformed journals: FILE:LINE and exit 2, from import and from run's warm_start, with
# nothing stored; Optuna refuses each too.
head -n 3 "$w/elsewhere.jsonl" > "$w/good3.jsonl"
# bad NAME LINE: $w/bad-NAME.jsonl, the good journal's first 3 lines, LINE, then a good
# line (Optuna, like darktune, leaves out a broken last line: a writer may be cut short).
bad() {
  cp "$w/good3.jsonl" "$w/bad-$1.jsonl"
  printf '%s\n%s\n' "$2" '{"op_code":2,"worker_id":"x","study_id":0,"user_attr":{"k":1}}' >> "$w/bad-$1.jsonl"
}
bad json '{"op_code":5,"worker_id":"x","trial_id":0,'
bad opcode '{"op_code":12,"worker_id":"x"}'
bad field '{"op_code":4,"worker_id":"x","study_id":0}'
bad dist '{"op_code":5,"worker_id":"x","trial_id":0,"param_name":"batch","param_value_internal":0,"distribution":"{\"name\": \"PoissonDistribution\", \"attributes\": {}}"}'
bad index '{"op_code":5,"worker_id":"x","trial_id":0,"param_name":"batch","param_value_internal":2,"distribution":"{\"name\": \"CategoricalDistribution\", \"attributes\": {\"choices\": [32, 64]}}"}'
bad state '{"op_code":6,"worker_id":"x","trial_id":0,"state":9,"values":null}'
want=(
  "bad-json.jsonl:4: not a JSON operation: column 43: expected a key in double quotes"
  "bad-opcode.jsonl:4: op_code 12 is none of Optuna's operations \(0-10\)"
  "bad-field.jsonl:4: create_trial: no 'datetime_start'"
  "bad-dist.jsonl:4: set_trial_param: unknown distribution class 'PoissonDistribution'"
  "bad-index.jsonl:4: set_trial_param: a parameter's choice index 2 is out of range \(2 choices\)"
  "bad-state.jsonl:4: set_trial_state_values: 'state' is a number, not one of Optuna's trial states 0-4"
)
k=0
for name in json opcode field dist index state; do
  "$DARKTUNE" import "$w/cold.ini" --output "$w/bad" --optuna-journal "$w/bad-$name.jsonl" > "$w/bad.log" 2>&1
  check_eq "import of bad-$name: exit status" "$?" 2
  check_grep "import of bad-$name: FILE:LINE" "${want[$k]}" "$w/bad.log"
  printf '%s\n' "$base" | sed "s|^\[sampler\]|[sampler]\nwarm_start = bad-$name.jsonl|" > "$w/bad.ini"
  "$DARKTUNE" run "$w/bad.ini" --output "$w/bad" > "$w/bad.log" 2>&1
  check_eq "warm_start = bad-$name: exit status" "$?" 2
  check_grep "warm_start = bad-$name: FILE:LINE" "${want[$k]}" "$w/bad.log"
  k=$((k + 1))
done
check "nothing stored by refused journals" test ! -e "$w/bad/study.db"
"$py" tests/optuna_interop.py refuses "$w"/bad-*.jsonl "$w/good3.jsonl" > "$w/refuses.txt" 2>&1
check_eq "Optuna refuses the same journals" "$(grep -c ' refused ' "$w/refuses.txt")" 6
check_grep "... and loads the good part" '^good3.jsonl loaded$' "$w/refuses.txt"
# The sweep's own refusals: a missing journal, warm_start with a sampler that learns nothing.
printf '%s\n' "$base" | sed 's|^\[sampler\]|[sampler]\nwarm_start = nowhere.jsonl|' > "$w/bad.ini"
"$DARKTUNE" run "$w/bad.ini" --output "$w/bad" > "$w/bad.log" 2>&1
check_eq "warm_start of a missing file: exit status" "$?" 2
check_grep "warm_start of a missing file: message" "bad.ini:[0-9]+: warm_start file 'nowhere.jsonl' not found" "$w/bad.log"
printf '%s\n' "$base" | sed -e 's|^\[sampler\]|[sampler]\nwarm_start = elsewhere.jsonl|' -e 's|^type .*|type = random|' \
  -e '/^startup_trials/d' > "$w/bad.ini"
"$DARKTUNE" run "$w/bad.ini" --output "$w/bad" > "$w/bad.log" 2>&1
check_eq "warm_start with the random sampler: exit status" "$?" 2
check_grep "warm_start with the random sampler: message" "bad.ini:[0-9]+: warm_start applies to type = tpe" "$w/bad.log"
# A journal whose last line was cut short (a writer killed): Optuna leaves it out, and so does darktune.
cp "$w/elsewhere.jsonl" "$w/cut.jsonl"
printf '{"op_code":4,"worker_id":"x","study_id":0,"datetime_st' >> "$w/cut.jsonl"
"$DARKTUNE" import "$w/cold.ini" --output "$w/cut" --optuna-journal "$w/cut.jsonl" > "$w/cut.log" 2>&1
check_eq "a cut last line: exit status" "$?" 0
check_grep "a cut last line: left out, and said" "its last line \([0-9]+\) has no newline" "$w/cut.log"

# The same warm start on PostgreSQL gives the same trials.
. tests/pg.sh
if [ -x "${PG_BIN:-}/initdb" ] && pg_start "$PWD/$tmp/pg" 55439 2> "$tmp/pg.log"; then
  printf '%s\n' "$base" | sed -e "s|^\[sampler\]|[sampler]\nwarm_start = elsewhere.jsonl|" \
    -e "s|^output .*|output = out\nstorage = $PG_URI|" > "$w/pg.ini"
  "$DARKTUNE" run "$w/pg.ini" --output "$w/pg" > "$w/pg.log" 2>&1
  check_eq "PostgreSQL: warm start's exit status" "$?" 0
  "$DARKTUNE" run "$w/pg.ini" --output "$w/pg" > "$w/pg2.log" 2>&1
  check_eq "PostgreSQL: again" "$?" 0
  check "PostgreSQL: the trials SQLite gives" cmp -s "$w/warm/trials.csv" "$w/pg/trials.csv"
  pg_stop "$PWD/$tmp/pg"
else
  skip "no PostgreSQL server to start (apt-get install postgresql): the warm start on PostgreSQL"
fi
finish t_interop
