#!/usr/bin/env bash
# darktune's fANOVA importance (plugin/dt_fanova.c) against Optuna's
# FanovaImportanceEvaluator on the same 80 trials (tests/fanova/: a log learning
# rate, a uniform momentum, a stepped int burn_in and a policy choice, from a known
# function plus noise): the same top parameter, and every share within 0.1.
# Optuna (with scikit-learn, which its evaluator needs) runs from bench/.venv; pip
# installs them there when they are missing. A few seconds (Optuna's import).
set -u
. tests/lib.sh
bin=build/tests/test_fanova
space=tests/fanova/space.ini
csv=tests/fanova/trials.csv
seed=14
py=bench/.venv/bin/python
tmp=tests/tmp/fanova
rm -rf "$tmp" && mkdir -p "$tmp"

# agree DARKTUNE OPTUNA: both files hold "name share" lines; prints them side by
# side and succeeds when the top parameter is the same and no share differs by more than 0.1.
agree() {
    awk 'NR == FNR { d[$1] = $2; order[++n] = $1; next }
         { o[$1] = $2 }
         END {
             bad = 0; td = ""; to = ""
             printf "  %-16s %9s %9s %9s\n", "parameter", "darktune", "optuna", "diff"
             for (i = 1; i <= n; i++) {
                 k = order[i]
                 if (!(k in o)) { printf "  %-16s missing from Optuna'"'"'s shares\n", k; bad = 1; continue }
                 diff = d[k] - o[k]
                 printf "  %-16s %9.4f %9.4f %+9.4f\n", k, d[k], o[k], diff
                 if (diff > 0.1 || diff < -0.1) bad = 1
                 if (td == "" || d[k] > d[td]) td = k
                 if (to == "" || o[k] > o[to]) to = k
             }
             printf "  top: darktune %s, optuna %s\n", td, to
             if (n == 0 || td != to) bad = 1
             exit bad
         }' "$1" "$2"
}
disagree() { ! agree "$@" > /dev/null; }

if [ ! -x "$bin" ]; then
    skip "$bin is missing: make unit builds it"
    finish t_fanova
    exit
fi
"$bin" --shares "$space" "$csv" "$seed" > "$tmp/darktune" 2> "$tmp/darktune.err"
check_eq "darktune's importance exit status" "$?" 0
check_eq "darktune's importance: one share per parameter" "$(wc -l < "$tmp/darktune")" 4
check "darktune's shares sum to 1" awk '{ s += $2 } END { exit !(s > 0.999999 && s < 1.000001) }' "$tmp/darktune"

if ! "$py" -c 'import optuna, sklearn' 2> /dev/null; then
    echo "installing Optuna and scikit-learn into bench/.venv"
    { [ -x "$py" ] || python3 -m venv bench/.venv; } > "$tmp/pip.log" 2>&1
    bench/.venv/bin/pip install -q optuna scikit-learn >> "$tmp/pip.log" 2>&1
fi
if ! "$py" -c 'import optuna, sklearn' 2> /dev/null; then
    why=$(grep -v '^\s*$' "$tmp/pip.log" 2> /dev/null | tail -n 1)
    skip "Optuna and scikit-learn could not be installed into bench/.venv (${why:-no python3 -m venv}): run python3 -m venv bench/.venv && bench/.venv/bin/pip install optuna scikit-learn with a network"
    finish t_fanova
    exit
fi
echo "optuna $("$py" -c 'import optuna; print(optuna.__version__)'), scikit-learn $("$py" -c 'import sklearn; print(sklearn.__version__)')"
"$py" bench/fanova_optuna.py "$space" "$csv" "$seed" > "$tmp/optuna" 2> "$tmp/optuna.err"
check_eq "Optuna's importance exit status" "$?" 0
[ -s "$tmp/optuna.err" ] && sed 's/^/    /' "$tmp/optuna.err" | tail -n 5
check "darktune's shares agree with Optuna's (same top, each within 0.1)" agree "$tmp/darktune" "$tmp/optuna"

# The comparison can fail: darktune's top share swapped with its smallest must disagree.
awk 'NR == FNR { if (top == "" || $2 > v[top]) top = $1; if (low == "" || $2 < v[low]) low = $1; v[$1] = $2; next }
     { print $1, $1 == top ? v[low] : $1 == low ? v[top] : $2 }' "$tmp/darktune" "$tmp/darktune" > "$tmp/swapped"
check "shares with the top and the smallest swapped disagree with Optuna's" disagree "$tmp/swapped" "$tmp/optuna"
finish t_fanova
