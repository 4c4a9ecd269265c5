#!/usr/bin/env bash
# End to end with task = detector in-process (runner = libdarknet) on the shapes data
# (make data-shapes): the baseline and 2 random trials of cfg/shapes-yolo.cfg, 40
# iterations each, mAP@0.5 on the 500 valid images every 20 iterations; then best.cfg
# trained for 3 iterations by the Debian `darknet detector train`, as a user would.
# Skipped (counted, with its reason) where data/shapes has not been made.
set -u
. tests/lib.sh
if [ ! -s data/shapes/train.list ] || [ ! -s data/shapes/valid.list ]; then
    skip "data/shapes is missing: make data-shapes draws it (about 10 s)"
    finish t_detector
    exit 0
fi
out=tests/tmp/detector
rm -rf "$out" && mkdir -p tests/tmp
nice -n 10 "$DARKTUNE" run tests/study/detector.ini > "$out.log" 2>&1
check_eq "exit status" "$?" 0
csv=$out/trials.csv
check_eq "rows" "$(tail -n +2 "$csv" | wc -l)" 3
check_eq "every trial complete" "$(awk -F, 'NR > 1 && $2 != "COMPLETE"' "$csv" | wc -l)" 0
check_eq "values are mAP fractions" "$(awk -F, 'NR > 1 && !($3 >= 0 && $3 <= 1)' "$csv" | wc -l)" 0
check_eq "40 iterations each" "$(awk -F, 'NR > 1 && $(NF - 1) != 40' "$csv" | wc -l)" 0
check_grep "map50 is the detector's default metric" "maximize map50" "$out.log"
db=$out/study.db
q() { sqlite3 "$db" "$1"; }
check_eq "metric points at 20 and 40" \
    "$(q "SELECT DISTINCT group_concat(step) FROM (SELECT number, step FROM point WHERE kind = 1 ORDER BY number, step) GROUP BY number")" "20,40"
check_eq "final value is the last metric point" \
    "$(q "SELECT count(*) FROM trial t WHERE abs(t.value - (SELECT value FROM point p WHERE p.study = t.study AND p.number = t.number AND p.kind = 1 AND p.step = 40)) > 1e-9")" 0
log=$out/trials/0/log.txt
check_grep "label files read once, noted in the first log" \
    '^darktune: [0-9]+ boxes in the label files of .*/train.list; 0 images without a label file' "$log"
check_eq "decoded once for the study" "$(cat "$out"/trials/*/log.txt | grep -c '^darktune: decoded')" 2
check_grep "the log reads like darknet detector train's" \
    '^40: [0-9.]+, [0-9.]+ avg, [0-9.]+ rate, [0-9.]+ seconds, 1280 images' "$log"
check_grep "yolo layers report in the log" '^Region [0-9]+ Avg IOU' "$log"
check_grep "validation in the log" \
    '^40: mAP@0.5 [0-9.]+, precision [0-9.]+, recall [0-9.]+, avg IoU [0-9.]+ \(at 0.25\), 3 classes, 500 images' "$log"
# The loss falls: the first iteration's against the average at 40, in every trial.
for t in "$out"/trials/*/log.txt; do
    first=$(sed -nE 's/^1: ([0-9.]+), .*/\1/p' "$t"); last=$(sed -nE 's/^40: [0-9.]+, ([0-9.]+) avg.*/\1/p' "$t")
    check "loss falls in $t ($first -> $last)" awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }'
done
n=$(awk -F, 'NR > 1 && (b == "" || $3 > b) { b = $3; n = $1 } END { print n }' "$csv")
check "the best trial's weights are kept" test -s "$out/trials/$n/backup/trial.weights"

# Deployable: the Debian darknet trains best.cfg as it is (3 iterations here).
check_grep "best.cfg heading" "^# darktune: study 'detector-e2e', trial $n" "$out/best.cfg"
sed 's/^max_batches=.*/max_batches=3/' "$out/best.cfg" > tests/tmp/detector-best3.cfg
mkdir -p tests/tmp/detector-backup
printf 'classes=3\ntrain=%s\nvalid=%s\nnames=%s\nbackup=%s\n' "$PWD/data/shapes/train.list" \
    "$PWD/data/shapes/valid.list" "$PWD/data/shapes/shapes.names" "$PWD/tests/tmp/detector-backup" \
    > tests/tmp/detector-best3.data
nice -n 10 stdbuf -oL darknet detector train tests/tmp/detector-best3.data tests/tmp/detector-best3.cfg \
    < /dev/null > tests/tmp/detector-best3.log 2>&1
check_grep "darknet detector train runs best.cfg" '^3: [0-9.]+, [0-9.]+ avg, [0-9.]+ rate' tests/tmp/detector-best3.log
check_eq "darknet reads best.cfg's rate" \
    "$(sed -nE 's/^Learning Rate: ([^,]+),.*/\1/p' tests/tmp/detector-best3.log)" \
    "$(awk -F, -v n="$n" '$1 == n { print $4 + 0 }' "$csv")"
finish t_detector
