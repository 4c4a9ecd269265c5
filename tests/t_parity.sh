#!/usr/bin/env bash
# Parity of runner = libdarknet with Darknet itself: cfg/fashion.cfg trained 200
# iterations on the full train.list (60,000 images) and validated on the full
# valid.list (10,000: less noise), 3 times each way: in-process (3 trials of one
# study, seeds from the trial numbers) and `darknet classifier train` then
# `darknet classifier valid` (seeded by the clock). Mean top-1 within 1.5 points.
# Takes a few minutes on 2 cores.
set -u
. tests/lib.sh
out=tests/tmp/parity
rm -rf "$out" && mkdir -p "$out/darknet"
d=$PWD/data/fashion
printf 'classes=10\ntrain=%s\nvalid=%s\nlabels=%s\nbackup=backup\n' \
    "$d/train.list" "$d/valid.list" "$d/labels.txt" > "$out/full.data"
cat > "$out/parity.ini" <<INI
[study]
name     = parity
output   = .
metric   = top1
trials   = 3
seed     = 11
baseline = no
[darknet]
task      = classifier
runner    = libdarknet
data      = full.data
cfg       = ../../../cfg/fashion.cfg
cpu_slots = 2
[space]
learning_rate = 0.01
INI
"$DARKTUNE" run "$out/parity.ini" > "$out/inprocess.log" 2>&1
check_eq "in-process study exit status" "$?" 0
inproc=$(awk -F, 'NR > 1 && $2 == "COMPLETE" { print $3 }' "$out/trials.csv")
check_eq "in-process trials complete" "$(wc -w <<<"$inproc")" 3

# Darknet itself, two runs at a time (one core each), each in its own folder.
darknet_run() {
    local dir=$out/darknet/$1
    mkdir -p "$dir/backup" && cp cfg/fashion.cfg "$dir/fashion.cfg"
    sed "s|^backup=.*|backup=$PWD/$dir/backup|" "$out/full.data" > "$dir/full.data"
    (cd "$dir" && darknet classifier train full.data fashion.cfg < /dev/null > train.log 2>&1
     darknet classifier valid full.data fashion.cfg backup/fashion.weights < /dev/null > valid.log 2>&1)
}
darknet_run 1 & darknet_run 2 & wait
darknet_run 3
dk=$(for i in 1 2 3; do tail -n 1 "$out/darknet/$i/valid.log" | sed -nE 's/.*top 1: ([0-9.]+),.*/\1/p'; done)
check_eq "darknet runs validated" "$(wc -w <<<"$dk")" 3

mean() { awk '{ s += $1; n++ } END { if (n) printf "%.4f", s / n }'; }
mi=$(mean <<<"$inproc") md=$(mean <<<"$dk")
diff=$(awk -v a="$mi" -v b="$md" 'BEGIN { printf "%.4f", a - b }')
echo "parity: in-process top-1 $(echo $inproc) mean $mi; darknet $(echo $dk) mean $md; difference $diff"
check "mean top-1 within 1.5 points" awk -v d="$diff" 'BEGIN { exit !(d <= 0.015 && d >= -0.015) }'
finish t_parity
