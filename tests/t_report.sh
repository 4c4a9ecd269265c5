#!/usr/bin/env bash
# report.html: written at the end of `run` and by `darktune report`, one file with no
# reference to anything outside it, every plot with drawn marks, and what Chromium
# (Debian's, headless) renders of it not blank: the whole page, and each plot alone.
# Also the red flags at the end of `run`, in report.txt and in `darktune best`.
set -u
. tests/lib.sh
tmp=tests/tmp/report-sh
rm -rf "$tmp" && mkdir -p "$tmp"
out=$tmp/study

# The tiny table study: 30 trials of TPE + ASHA in a second, two of them diverged.
"$DARKTUNE" run tests/study/table.ini --output "$out" > "$tmp/run.log" 2>&1
check_eq "run: exit status" "$?" 0
check "run: writes report.html" test -s "$out/report.html"
check_grep "run: says its red flags at the end" '^flag: 2 trials diverged .*smallest learning_rate that did' \
  "$tmp/run.log"
check_grep "report.txt: the same flag" '^flag: 2 trials diverged' "$out/report.txt"
check_grep "report.txt: the random start's phase" \
  '^phases     random start \(trials 0-7\): [0-9]+ complete, [0-9]+ pruned; best [0-9.]+, median [0-9.]+$' "$out/report.txt"
check_grep "report.txt: the model's phase" \
  '^           the model \(trials 8-29\): [0-9]+ complete, [0-9]+ pruned; best [0-9.]+, median [0-9.]+$' "$out/report.txt"
"$DARKTUNE" best tests/study/table.ini --output "$out" > "$tmp/best.log" 2>&1
check_eq "best: exit status" "$?" 0
check_grep "best: prints the flags" '^flag: the best, trial [0-9]+, was found in the random start' "$tmp/best.log"

rm -f "$out/report.html"
"$DARKTUNE" report tests/study/table.ini --output "$out" > "$tmp/report.log" 2>&1
check_eq "report: exit status" "$?" 0
check_grep "report: names the file" "report\.html$" "$tmp/report.log"
html=$out/report.html
check "report: writes report.html again" test -s "$html"
check_grep "report: the two phases of the TPE study" 'class="phases">phases     random start \(trials 0-7\): ' "$html"

# Self-contained: no URL, no script, no stylesheet, image or font from elsewhere; the
# only url() is a reference to a clip path inside the file.
check_eq "no external reference" \
  "$(grep -Eoi 'https?:|ftp:|file:|//[a-z0-9.-]+\.[a-z]|<script|<link|<img|<iframe|<object|<embed|@import|@font-face|src=|href=|url\([^#]' "$html" | sort -u | tr '\n' ' ')" ""
check_grep "its clip paths are its own" 'clip-path="url\(#clip-' "$html"

# Every plot has marks: count the class="mark" elements inside each <svg>.
awk '/<svg class="plot"/ { match($0, /data-plot="[^"]*"/); name = substr($0, RSTART + 11, RLENGTH - 12); n = 0; open = 1 }
     open { n += gsub(/class="mark/, "&") }
     /<\/svg>/ && open { print name, n; open = 0 }' "$html" > "$tmp/marks"
for plot in history metric loss parallel slice importance rate-batch; do
  check "plot $plot is drawn" grep -q "^$plot " "$tmp/marks"
done
check_eq "every plot has marks" "$(awk '$2 < 1' "$tmp/marks" | wc -l)" 0
check_eq "a slice plot per parameter that varies (3)" "$(grep -c '^slice ' "$tmp/marks")" 3
check_eq "history: a mark per trial, and the best-so-far line" "$(awk '$1 == "history" { print $2 }' "$tmp/marks")" 31
check_eq "parallel: a line per complete trial" "$(awk '$1 == "parallel" { print $2 }' "$tmp/marks")" \
  "$(grep -c ',COMPLETE,' "$out/trials.csv")"

# Each flag of report.txt in the page's list (these hold nothing HTML escapes).
check_eq "report.txt has flags to list" "$(grep -cE '^(flag|edge):' "$out/report.txt")" 2
while IFS= read -r line; do
  check "the page lists: ${line:0:50}" grep -qF "<li>$line</li>" "$html"
done < <(grep -E '^(flag|edge):' "$out/report.txt")

# What Chromium renders: the whole page, then each plot as an SVG file of its own, and
# pngstat says how many pixels are inked and how many coloured (marks, not frames).
if ! command -v chromium > /dev/null; then
  skip "chromium is not installed: make deps installs it"
else
  shot() {  # FILE.html|FILE.svg PNG WIDTH HEIGHT
    timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/chromium" \
      --window-size="$3,$4" --screenshot="$2" "file://$PWD/$1" > /dev/null 2>&1
  }
  shot "$html" "$tmp/page.png" 1000 2600
  read -r w h inked coloured < <(build/tests/pngstat "$tmp/page.png")
  check_eq "page: screenshot size" "$w x $h" "1000 x 2600"
  check "page: not blank (${inked:-0} inked pixels)" test "${inked:-0}" -gt 50000
  check "page: plots in colour (${coloured:-0} coloured pixels)" test "${coloured:-0}" -gt 10000
  awk -v dir="$tmp" '/<svg class="plot"/ { k++; f = dir "/plot-" k ".svg"; open = 1
                      sub(/<svg /, "<svg xmlns=\"http://www.w3.org/2000/svg\" ") }
       open { print > f } /<\/svg>/ && open { close(f); open = 0 }' "$html"
  css=$(sed -n 's/.*<style>\(.*\)<\/style>.*/\1/p' "$html")
  for f in "$tmp"/plot-*.svg; do
    # The page's stylesheet goes with each plot, as the page gives it.
    sed -i "0,/>/s//><style>${css//\//\\/}<\/style>/" "$f"
    name=$(sed -n 's/.*data-plot="\([^"]*\)".*/\1/p' "$f" | head -n 1)
    shot "$f" "${f%.svg}.png" 900 340
    read -r w h inked coloured < <(build/tests/pngstat "${f%.svg}.png")
    check "$name ($(basename "$f")): rendered with coloured marks (${coloured:-0} pixels)" test "${coloured:-0}" -gt 30
  done
fi

# A study with no completed trial yet: report says so and draws no plot.
"$DARKTUNE" report tests/study/table.ini --output "$tmp/none" > "$tmp/none.log" 2>&1
check_eq "report of a study never run: exit status 1" "$?" 1
check_grep "report of a study never run: says so" 'no study yet' "$tmp/none.log"
finish report
