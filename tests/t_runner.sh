#!/usr/bin/env bash
# The test runner itself: tests/run.sh on fake tests (DT_TESTS names them) adds up
# passes, failures and skips, ends with "total: N passed, N failed, N skipped" and one
# "skipped: TEST: REASON" line per skip, reads the older "N passed, N failed" line as
# 0 skipped, and counts a test without a summary line as broken. lib.sh's skip and
# finish, and dt_test.h's SKIP and dt_test_done, print what it reads.
# The nested runs' output goes to files only: printed here, its total line would be read
# as this test's.
set -u
. tests/lib.sh
tmp=tests/tmp/runner
rm -rf "$tmp" && mkdir -p "$tmp"

# A shell test that passes 2 and skips 1, with lib.sh.
cat > "$tmp/t_fake.sh" <<'EOF'
. tests/lib.sh
check "one" true
check "two" test 1 -eq 1
skip "no widget: make widget builds it"
finish t_fake
EOF
# The older summary line, with no skipped count.
printf 'echo "old: 3 passed, 0 failed"\n' > "$tmp/t_old.sh"
# A summary that counts a skip but gives no SKIP: line.
printf 'echo "mute: 1 passed, 0 failed, 1 skipped"\n' > "$tmp/t_mute.sh"
# No summary line at all, exit 0.
printf 'echo "all good, honestly"\n' > "$tmp/t_silent.sh"
# A C test with dt_test.h: one check, one SKIP with a formatted reason.
cat > "$tmp/fake_c.c" <<'EOF'
#include "dt_test.h"
int main(void)
{
    CHECK(1 + 1 == 2);
    SKIP("%s is missing: make %s writes it", "data/x", "data");
    return dt_test_done("fake_c");
}
EOF
check "fake C test compiles" ${CC:-cc} -std=c11 -Wall -Wextra -Werror -Itests -o "$tmp/fake_c" "$tmp/fake_c.c" -lm

# lib.sh and dt_test.h on their own.
bash "$tmp/t_fake.sh" > "$tmp/fake.out" 2>&1
check_eq "lib.sh: exit status with a skip" "$?" 0
check_eq "lib.sh: skip and finish lines" "$(cat "$tmp/fake.out")" \
  "SKIP: no widget: make widget builds it
t_fake: 2 passed, 0 failed, 1 skipped"
"$tmp/fake_c" > "$tmp/fake_c.out" 2>&1
check_eq "dt_test.h: exit status with a skip" "$?" 0
check_eq "dt_test.h: SKIP and dt_test_done lines" "$(cat "$tmp/fake_c.out")" \
  "SKIP: data/x is missing: make data writes it
fake_c: 1 passed, 0 failed, 1 skipped"

# run.sh on the shell fake alone: its total, then its skip.
DT_TESTS="$tmp/t_fake.sh" tests/run.sh > "$tmp/one.out" 2>&1
check_eq "one fake: exit status" "$?" 0
check_eq "one fake: total and skip lines end the output" "$(tail -n 2 "$tmp/one.out")" \
  "total: 2 passed, 0 failed, 1 skipped
skipped: t_fake.sh: no widget: make widget builds it"
check_grep "one fake: its skip shown in its output" '^  SKIP: no widget: make widget builds it$' "$tmp/one.out"

# Several: counts added up, the old line as 0 skipped, a skip without a reason named.
DT_TESTS="$tmp/t_fake.sh $tmp/t_old.sh $tmp/fake_c $tmp/t_mute.sh" tests/run.sh > "$tmp/many.out" 2>&1
check_eq "several: exit status" "$?" 0
check_eq "several: total and skip lines" "$(sed -n '/^total:/,$p' "$tmp/many.out")" \
  "total: 7 passed, 0 failed, 3 skipped
skipped: t_fake.sh: no widget: make widget builds it
skipped: fake_c: data/x is missing: make data writes it
skipped: t_mute.sh: 1 skipped without a SKIP: line to say why"

# No summary line: broken, one failure, exit 1; so is a test that is not there.
DT_TESTS="$tmp/t_fake.sh $tmp/t_silent.sh $tmp/t_none.sh" tests/run.sh > "$tmp/broken.out" 2>&1
check_eq "no summary: exit status" "$?" 1
check_grep "no summary: named as failed" '^FAILED: t_silent.sh \(exit 0\)$' "$tmp/broken.out"
check_grep "missing test: named as failed" '^FAILED: t_none.sh \(exit 127\)$' "$tmp/broken.out"
check_eq "no summary: total and skip lines" "$(sed -n '/^total:/,$p' "$tmp/broken.out")" \
  "total: 2 passed, 2 failed, 1 skipped
skipped: t_fake.sh: no widget: make widget builds it"
finish t_runner
