#!/usr/bin/env bash
# darktune submit on a single-node Slurm started by the test (munge, slurmctld and
# slurmd on localhost, tests/slurm.sh): 3 workers as a job array run the study to its
# budget, each in its own task, with their logs in the study's folder. Needs root
# (slurmd runs jobs as their user) and Debian's slurm-wlm: skipped, with the reason,
# otherwise.
set -u
. tests/lib.sh
. tests/slurm.sh
tmp=tests/tmp/slurm
rm -rf "$tmp" && mkdir -p "$tmp"
if ! command -v slurmctld > /dev/null || [ "$(id -u)" != 0 ]; then
  skip "no single-node Slurm here (needs root and slurm-wlm; make deps installs it)"
  finish t_slurm; exit 0
fi
if ! slurm_start "$tmp/slurm" 2> "$tmp/start.err"; then
  bad "Slurm did not start: $(cat "$tmp/start.err")"
  finish t_slurm; exit 0
fi
f=tests/study/tmp-slurm.ini
sed -e 's/^name .*/name      = slurm/' -e '/^\[study\]/a output    = ../tmp/slurm/out' tests/study/workers.ini > "$f"
"$DARKTUNE" submit "$f" --workers 3 --time=10 > "$tmp/submit.log" 2>&1
check_eq "submit: exit status" "$?" 0
check_grep "submit: prints the job id" "^submitted job [0-9]+: 3 workers of study 'slurm'" "$tmp/submit.log"
job=$(sed -n 's/^submitted job \([0-9]*\).*/\1/p' "$tmp/submit.log")
check_grep "submit: a job array of 3" "^#SBATCH --array=0-2$" "$tmp/out/slurm/worker.sbatch"
for _ in $(seq 120); do
  [ -n "$job" ] && [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 0.5
done
check_eq "the job array ended" "$(squeue -h -j "$job" 2>/dev/null | wc -l)" 0
check_eq "3 worker logs" "$(ls "$tmp"/out/slurm/worker-*.log 2>/dev/null | wc -l)" 3
check_eq "every worker ended as done" "$(grep -l '^done: this worker has no trial left' "$tmp"/out/slurm/worker-*.log | wc -l)" 3
db=$tmp/out/study.db
check_eq "the budget is exact" "$(sqlite3 "$db" "select count(*) from trial where fate = 'counts' and state != 'RUNNING'")" 16
check "several workers ran trials" test "$(sqlite3 "$db" "select count(distinct worker) from trial")" -ge 2
"$DARKTUNE" status "$f" > "$tmp/status.log" 2>&1
check_eq "status afterwards: exit status" "$?" 0
# Workers write no outputs; darktune best writes them from the store.
check "the workers wrote no trials.csv" test ! -e "$tmp/out/trials.csv"
"$DARKTUNE" best "$f" > "$tmp/best.log" 2>&1
check_eq "best: exit status" "$?" 0
check_eq "best: trials.csv has every trial" "$(tail -n +2 "$tmp/out/trials.csv" | wc -l)" 16
check_grep "best: report.txt names the best" "^best +trial [0-9]+: top1 = " "$tmp/out/report.txt"
check "best: best.cfg written" test -s "$tmp/out/best.cfg"
slurm_stop "$tmp/slurm"
rm -f "$f"
finish t_slurm
