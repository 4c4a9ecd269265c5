#!/usr/bin/env bash
# runner = table: studies replayed from a recorded table (darknet/dt_table.h) run 30
# trials of TPE + ASHA in a few seconds, reproducibly, and a replayed divergence is
# pruned as one. tests/golden/table/tiny.table always; bench/fashion.table (the real
# recording, bench/record.sh) when it exists. Also the sweep's refusals of bad tables.
set -u
. tests/lib.sh
tmp=tests/tmp/table-sh
rm -rf "$tmp" && mkdir -p "$tmp"

# study SWEEP NAME: runs it twice into separate folders; checks time, rows, and that
# both runs wrote the same trials.csv.
study() {
  local sweep=$1 name=$2 a=$tmp/$2-a b=$tmp/$2-b start secs
  start=$(date +%s%N)
  "$DARKTUNE" run "$sweep" --output "$a" > "$a.log" 2>&1
  check_eq "$name: exit status" "$?" 0
  secs=$(( ($(date +%s%N) - start) / 1000000 ))
  check "$name: 30 trials in a few seconds (took ${secs} ms)" test "$secs" -lt 5000
  "$DARKTUNE" run "$sweep" --output "$b" > "$b.log" 2>&1
  check_eq "$name: exit status, again" "$?" 0
  check_eq "$name: rows" "$(tail -n +2 "$a/trials.csv" | wc -l)" 30
  check "$name: same trials.csv both times" cmp -s "$a/trials.csv" "$b/trials.csv"
  check_eq "$name: no failed trial" "$(awk -F, '$2 == "FAIL"' "$a/trials.csv" | wc -l)" 0
  check_grep "$name: trials complete" '^[0-9]+,COMPLETE,' "$a/trials.csv"
  check_grep "$name: ASHA prunes" 'PRUNED +asha' "$a/report.txt"
  # Stopped after 12 trials and resumed, the study suggests what it did in one go: the
  # TPE ranks a pruned trial by what the pruner compared last, the same whether the
  # trial was pruned in this run or read back from the store. (gamma = 0.5 puts pruned
  # trials among the good ones, where their ranking decides.)
  # (Beside the sweep, for its relative paths; .gitignore'd, removed below.)
  local g=${sweep%/*}/tmp-$name-gamma.ini
  sed "s|^\[sampler\]|[sampler]\ngamma = 0.5|" "$sweep" > "$g"
  "$DARKTUNE" run "$g" --output "$tmp/$name-d" > "$tmp/$name-d.log" 2>&1
  check_eq "$name: exit status, gamma 0.5" "$?" 0
  "$DARKTUNE" run "$g" --output "$tmp/$name-c" --trials 12 > "$tmp/$name-c.log" 2>&1 &&
    "$DARKTUNE" run "$g" --output "$tmp/$name-c" --trials 30 >> "$tmp/$name-c.log" 2>&1
  check_eq "$name: exit status, in two parts" "$?" 0
  check "$name: in two parts, the same trials.csv" cmp -s "$tmp/$name-d/trials.csv" "$tmp/$name-c/trials.csv"
  rm -f "$g"
}

# The tiny table: trials near learning_rate 1, momentum 0.9 replay a nan or inf loss.
study tests/study/table.ini tiny
check_grep "tiny: a replayed divergence is pruned" 'PRUNED +diverged: loss (nan|inf)' "$tmp/tiny-a/report.txt"
check_grep "tiny: the best is a 0.9 row" '^best +trial [0-9]+: top1 = 0\.9$' "$tmp/tiny-a/report.txt"
check_grep "tiny: the log names the replayed row" 'runner table: replaying .*tiny.table:[0-9]+ \(row [0-9]+' \
  "$(ls -d "$tmp"/tiny-a/trials/*/log.txt | head -n 1)"

# bench/record.sh's export, on the tiny study's store: its complete and diverged
# trials come out with the very curves they replayed, and the table reads back.
STUDY=table ITERATIONS=20 EVAL_INTERVAL=5 KINDS="learning_rate:log momentum:linear batch:categorical" \
  bench/record.sh export "$tmp/tiny-a/study.db" "$tmp/export.table" > "$tmp/export.log" 2>&1
check_eq "export: exit status" "$?" 0
check_eq "export: one row per complete or diverged trial" "$(grep -c '^row' "$tmp/export.table")" \
  "$(grep -Ec ',COMPLETE,|^[0-9]+,PRUNED,,' "$tmp/tiny-a/trials.csv")"
check_eq "export: every row's curves are a tiny.table row's" \
  "$(grep '^row' "$tmp/export.table" | cut -d'|' -f2- | grep -vxFf <(grep '^row' tests/golden/table/tiny.table | cut -d'|' -f2-) | wc -l)" 0
check_grep "export: a diverged row ends in nan or inf" '^row .*,(nan|inf) \|  \| 0\.1$' "$tmp/export.table"

# Refusals: FILE:LINE of the sweep (and of the table), exit 2.
refuse() {  # NAME PATTERN: the sweep $tmp/bad.ini must be refused with PATTERN
  "$DARKTUNE" run "$tmp/bad.ini" > "$tmp/bad.log" 2>&1
  check_eq "$1: exit status" "$?" 2
  check_grep "$1: message" "$2" "$tmp/bad.log"
}
base=$(sed -e "s|= \.\./golden/|= $PWD/tests/golden/|" -e "s|= fake\.|= $PWD/tests/study/fake.|" \
  -e 's|^output .*|output = out|' tests/study/table.ini)
printf '%s\n' "$base" | sed "s|^table .*|table = $PWD/$tmp/export.table|" > "$tmp/bad.ini"
"$DARKTUNE" run "$tmp/bad.ini" --output "$tmp/replay-export" > "$tmp/replay-export.log" 2>&1
check_eq "export: the exported table replays" "$?" 0
printf '%s\n' "$base" | sed 's|^table .*|table = nowhere.table|' > "$tmp/bad.ini"
refuse "missing table" "bad.ini:[0-9]+: table file 'nowhere.table' not found"
printf 'darktune-table 1\nparams learning_rate:log\niterations 20\neval_interval 5\nrow 0.1 | 1,x | | 0.5\n' \
  > "$tmp/bad.table"
printf '%s\n' "$base" | sed 's|^table .*|table = bad.table|' > "$tmp/bad.ini"
refuse "malformed table" "bad.ini:[0-9]+: bad table: .*bad.table:5: loss value 2, 'x', is not a number"
printf '%s\n' "$base" | sed 's|^runner .*|runner = libdarknet|' > "$tmp/bad.ini"
refuse "table without runner table" "bad.ini:[0-9]+: table applies to runner = table only"
printf '%s\n' "$base" | sed 's|^max_batches .*|max_batches = 20\neval_interval = 4|' > "$tmp/bad.ini"
refuse "eval_interval not the table's" "bad.ini:[0-9]+: eval_interval 4 differs from the table's 5"

# bench/prune_replay (make bench-prune) over a study trained without pruning: replaying
# no pruner trains just what was recorded and keeps its best; asha trains less and keeps
# no better a best; --ranks at the last validation, which is each trial's final value,
# ranks the trials as their final values do, the best ahead of all.
pruner() {  # BODY: the table study with [pruner] replaced by BODY, its store in $tmp/rec
  printf '%s\n' "$base" | awk -v body="$1" -v out="output = $PWD/$tmp/rec" '
    /^\[pruner\]/ { print; print body; skip = 1; next } /^\[/ { skip = 0 } skip { next }
    /^output/ { $0 = out } { print }'
}
pruner "type = none" > "$tmp/rec-none.ini"
"$DARKTUNE" run "$tmp/rec-none.ini" > "$tmp/rec.log" 2>&1
check_eq "replay: the recording's exit status" "$?" 0
# prune_replay's fields: trained recorded best number complete pruned none-best
r=$(build/bench/prune_replay "$tmp/rec-none.ini")
check_eq "replay: no pruner trains what was recorded, keeps its best" "$(awk '{ print ($1 == $2 && $3 == $7) }' <<<"$r")" 1
pruner $'type = asha\nmin_resource = 5\nreduction_factor = 3' > "$tmp/rec-asha.ini"
for order in "" "1 30"; do
  # shellcheck disable=SC2086
  r=$(build/bench/prune_replay "$tmp/rec-asha.ini" $order)
  check_eq "replay: asha (order '${order:-recorded}') prunes, trains less, no better a best, every trial" \
    "$(awk '{ print ($1 < $2 && $3 <= $7 && $6 > 0 && $5 + $6 == 30) }' <<<"$r")" 1
done
r=$(build/bench/prune_replay "$tmp/rec-asha.ini" --ranks 5 20)
check_eq "replay --ranks: the final validation ranks as the final values, the best ahead" \
  "$(awk '{ print ($5 == 20 && $6 == "1.000" && $7 == 0 && $8 == $4 && $4 > 2 && $2 >= -1 && $2 <= 1) }' <<<"$r")" 1
# A step that is not a number stops it, naming the argument, where it once ranked at 0.
r=$(build/bench/prune_replay "$tmp/rec-asha.ini" --ranks 5 2O 2>&1)
check_eq "replay --ranks: a bad step is refused (exit status)" "$?" 2
check_eq "replay --ranks: a bad step is named" "$r" "prune_replay: STEP '2O' is not a whole number of at least 0"
# PRUNE_REPLAY_WINDOW=W ranks by the mean of the last W raw losses, recovered from
# Darknet's avg loss (avg_t = 0.9 avg_(t-1) + 0.1 loss_t). Three trials whose stored
# series is that avg of raw losses chosen so that at iteration 10 the avg and the raw
# loss order them oppositely: the first drops from 2 to 0.2 at iteration 8 and ends best
# (top-1 0.9; its avg at 10 is still 1.51), the others stay at 1 (0.8) and 1.5 (0.7).
awk 'BEGIN { printf "darktune-table 1\nparams learning_rate:log\niterations 20\neval_interval 5\n"
  split("0.001 0.01 0.1", lr, " "); split("0.9 0.8 0.7", top, " ")
  for (r = 1; r <= 3; r++) { line = "row " lr[r] " |"; avg = -1
    for (t = 1; t <= 20; t++) { raw = r == 1 ? (t <= 7 ? 2 : 0.2) : r == 2 ? 1 : 1.5
      avg = avg < 0 ? raw : 0.9 * avg + 0.1 * raw; line = line sprintf("%s%.7g", t > 1 ? "," : " ", avg) }
    print line " | " top[r] "," top[r] "," top[r] "," top[r] " | " top[r] } }' > "$tmp/ema.table"
printf '%s\n' "$base" | awk -v t="$PWD/$tmp/ema.table" -v o="$PWD/$tmp/ema" '
  /^table / { $0 = "table = " t } /^output / { $0 = "output = " o } /^trials / { $0 = "trials = 3" }
  /^\[sampler\]/ { print; print "type = grid"; skip = 1; next }
  /^\[pruner\]/ { print; print "type = median\non = loss"; skip = 1; next }
  /^\[space\]/ { print; print "learning_rate = choice(0.001, 0.01, 0.1)"; skip = 1; next }
  /^\[/ { skip = 0 } skip { next } { print }' > "$tmp/ema.ini"
"$DARKTUNE" run "$tmp/ema.ini" > "$tmp/ema.log" 2>&1
check_eq "replay window: the three-trial study's exit status" "$?" 0
check_eq "replay window: Darknet's avg loss at 10 ranks the best last" \
  "$(build/bench/prune_replay "$tmp/ema.ini" --ranks 10 20)" "10 -0.500 2 3 20 1.000 0 3"
check_eq "replay window: the raw loss at 10 (window 1) ranks as the final values" \
  "$(PRUNE_REPLAY_WINDOW=1 build/bench/prune_replay "$tmp/ema.ini" --ranks 10)" "10 1.000 0 3"
check_eq "replay window: so does the mean of the last 3" \
  "$(PRUNE_REPLAY_WINDOW=3 build/bench/prune_replay "$tmp/ema.ini" --ranks 10)" "10 1.000 0 3"
# PRUNE_REPLAY_AHEAD=A reads the least-squares line through the window A iterations on.
# Over the last 8 (2,2,2,2,2,0.2,0.2,0.2 at 3..10) the first trial's mean, 1.325, is
# behind the second's 1; its line, falling 0.32 an iteration, reads -3.0 at 20.
check_eq "replay window: the mean of the last 8 puts the best second" \
  "$(PRUNE_REPLAY_WINDOW=8 build/bench/prune_replay "$tmp/ema.ini" --ranks 10)" "10 0.500 1 3"
check_eq "replay ahead: the line through the last 8, read 10 on, puts it first" \
  "$(PRUNE_REPLAY_WINDOW=8 PRUNE_REPLAY_AHEAD=10 build/bench/prune_replay "$tmp/ema.ini" --ranks 10)" "10 1.000 0 3"
# --halving and --promote, rf 2 from 10: one rung, at 10. The grid ran lr 0.1, 0.001 and
# 0.01 as trials 0, 1, 2 (final top-1 0.7, 0.9, 0.8). Halving lets the better two of the
# three at 10 go on. Promotion ASHA, one worker, starts 0 and 1, promotes the better of
# the two, starts 2 and promotes it only if it is the best of the three; the trials left
# waiting are pruned. By the avg loss at 10 (1.5, 1.51, 1) halving keeps 2 and 0, and
# promotion promotes 0, then 2; by the raw loss (1.5, 0.2, 1) halving keeps 1 and 2, and
# promotion promotes 1 alone. Fields: trained recorded best number complete pruned none.
check_eq "replay --halving: the better two at 10 by the avg loss go on" \
  "$(build/bench/prune_replay "$tmp/ema.ini" --halving 2 10)" "50 60 0.8000 2 2 1 0.9000"
check_eq "replay --promote: by the avg loss, 0 and then 2 go on, 1 waits and is pruned" \
  "$(build/bench/prune_replay "$tmp/ema.ini" --promote 2 10)" "50 60 0.8000 2 2 1 0.9000"
check_eq "replay --halving: by the raw loss the best goes on" \
  "$(PRUNE_REPLAY_WINDOW=1 build/bench/prune_replay "$tmp/ema.ini" --halving 2 10)" "50 60 0.9000 1 2 1 0.9000"
check_eq "replay --promote: by the raw loss the best goes on alone, two wait and are pruned" \
  "$(PRUNE_REPLAY_WINDOW=1 build/bench/prune_replay "$tmp/ema.ini" --promote 2 10)" "40 60 0.9000 1 1 2 0.9000"
check_eq "replay --halving: all three in a drawn order cut the same (halving waits for every trial)" \
  "$(build/bench/prune_replay "$tmp/ema.ini" --halving 2 10 5 3)" "50 60 0.8000 2 2 1 0.9000"
check_eq "replay --promote: two of them in a drawn order replay two" \
  "$(build/bench/prune_replay "$tmp/ema.ini" --promote 2 10 5 2 | awk '{ print $2, $5 + $6 }')" "40 2"
# [pruner] wait = yes: the scheduler's ASHA that waits, one slot, over the tiny table with
# the random sampler (so that the configurations do not hang on what was pruned), does
# just what prune_replay --promote computes over the same study recorded without pruning:
# the same iterations, the same best, as many complete and pruned.
waitstudy() {  # NAME PRUNER-BODY
  printf '%s\n' "$base" | awk -v body="$2" -v out="output = $PWD/$tmp/$1" '
    /^\[sampler\]/ { print; print "type = random"; skip = 1; next }
    /^\[pruner\]/ { print; print body; skip = 1; next } /^\[/ { skip = 0 } skip { next }
    /^cpu_slots/ { $0 = "cpu_slots = 1" } /^output/ { $0 = out } { print }' > "$tmp/$1.ini"
  "$DARKTUNE" run "$tmp/$1.ini" > "$tmp/$1.log" 2>&1
  check_eq "wait: $1's exit status" "$?" 0
}
waitstudy wnone "type = none"
waitstudy wait $'type = asha\nmin_resource = 5\nreduction_factor = 3\nwait = yes'
sed "s|^output .*|output = $PWD/$tmp/wnone|" "$tmp/wait.ini" > "$tmp/wait-replay.ini"
# trials.csv: number,state,value,...,iterations,seconds; the replay's line: trained
# recorded best number complete pruned none
check_eq "wait: the study trains and keeps what the replay of promotion ASHA does" \
  "$(awk -F, 'NR > 1 { it += $(NF - 1); n[$2]++; if ($2 == "COMPLETE" && $3 > b) b = $3 }
     END { printf "%d %.4f %d %d", it, b, n["COMPLETE"], n["PRUNED"] }' "$tmp/wait/trials.csv")" \
  "$(build/bench/prune_replay "$tmp/wait-replay.ini" --promote 3 5 | awk '{ print $1, $3, $5, $6 }')"
check_grep "wait: trials waited and went on" 'goes on from iteration' "$tmp/wait.log"
# With the TPE, which learns from the trials waiting at a rung as if pruned there: the
# same study twice, one slot, gives the same trials.
for run in tpe-a tpe-b; do
  printf '%s\n' "$base" | awk -v out="output = $PWD/$tmp/wait-$run" '
    /^\[pruner\]/ { print; print "type = asha\nmin_resource = 5\nreduction_factor = 2\nwait = yes"; skip = 1; next }
    /^\[/ { skip = 0 } skip { next }
    /^cpu_slots/ { $0 = "cpu_slots = 1" } /^output/ { $0 = out } { print }' > "$tmp/wait-$run.ini"
  "$DARKTUNE" run "$tmp/wait-$run.ini" > "$tmp/wait-$run.log" 2>&1
  check_eq "wait with tpe ($run): exit status" "$?" 0
done
check "wait with tpe: the same trials twice" cmp -s "$tmp/wait-tpe-a/trials.csv" "$tmp/wait-tpe-b/trials.csv"
check_grep "wait with tpe: trials waited and went on" 'goes on from iteration' "$tmp/wait-tpe-a.log"
check_grep "wait: the last ones waiting are pruned, saying why" \
  'PRUNED +asha: metric .* where it waited until no trial was left to start' "$tmp/wait/report.txt"
r=$(build/bench/prune_replay "$tmp/ema.ini" --halving 1 10 2>&1)
check_eq "replay --halving: a factor of 1 is refused (exit status)" "$?" 2
check_eq "replay --halving: a factor of 1 is named" "$r" "prune_replay: RF '1' is not a number above 1"

# The real recording, when bench/record.sh has made it.
if [ -f bench/fashion.table ]; then
  fashion_small_data
  study tests/study/table-fashion.ini fashion
else
  skip "bench/fashion.table is missing: make bench-record records it (the real table's study)"
fi
finish t_table
