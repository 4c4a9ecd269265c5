#!/usr/bin/env bash
# The live view on a terminal: `darktune run` in a tmux pane rewrites one status line
# with finished/total, the best so far, elapsed time and ETA, and each running trial's
# iteration and last loss; tmux capture-pane reads what the user sees.
set -u
. tests/lib.sh
tmp=tests/tmp/live-sh
rm -rf "$tmp" && mkdir -p "$tmp"
if ! command -v tmux > /dev/null; then
  skip "tmux is not installed: make deps installs it"
  finish live
  exit 0
fi
sock=$tmp/tmux.sock
out=$PWD/$tmp/study
# Trials of about 2 s (tests/fake/train_slow.sh), 2 at a time: there is a running
# trial to show after the first ones finished.
tmux -S "$sock" new-session -d -x 250 -y 20 \
  "SLOW=2 $DARKTUNE run tests/study/final.ini --output $out; sleep 30"
seen=""
for _ in $(seq 1 150); do
  sleep 0.2
  screen=$(tmux -S "$sock" capture-pane -p 2>/dev/null)
  line=$(printf '%s\n' "$screen" | grep -E '^\[[0-9]+/10 done, best top1 0\.[0-9]+ \(#[0-9]+\), .*, eta [^]]+\]  #[0-9]+ it' |
         tail -n 1)
  if [ -n "$line" ]; then seen=$line; break; fi
done
tmux -S "$sock" kill-server 2>/dev/null
pkill -f "train_slow.sh .*$out" 2>/dev/null
printf '%s\n' "$screen" > "$tmp/screen.txt"
check "the live line shows finished/total, the best, ETA and a running trial: '${seen:0:120}'" test -n "$seen"
check "the ETA is a duration once a trial has finished" grep -qE 'eta [0-9]+(\.[0-9]+ s|:[0-9]+)' <<<"$seen"
check_grep "finished trials are printed above it" '^trial +[0-9]+ +COMPLETE +top1 ' "$tmp/screen.txt"
finish live
