#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# [FUZZ_CORPUS=DIR] [FUZZ_RUNS=N] sh fuzz/run.sh SECONDS FUZZER...
#
# Run each libFuzzer target for SECONDS on a copy of its seed corpus
# (DIR/NAME/ for build/fuzz/fuzz_NAME; DIR is this script's corpus/ unless
# FUZZ_CORPUS says another: the controller's and the module's), as TAP:
# one "ok N - fuzz NAME: X execs, cov C ft F, no crash" or "not ok" line
# each, the plan at the end. A crash's input is kept in build/fuzz-crashes/
# and its report printed as comments. Exit status 1 if any target crashed.
# FUZZ_RUNS: stop each after N executions (SECONDS 0: no time limit), as
# the long run of Documentation/fuzzing.md does.
here=$(cd "$(dirname "$0")" && pwd)
corpus=${FUZZ_CORPUS:-$here/corpus}
secs=${1:?usage: run.sh SECONDS FUZZER...}
shift
n=0
failed=0
for f in "$@"; do
	n=$((n + 1))
	bin=$(basename "$f")
	name=${bin#fuzz_}
	work=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-fuzz-$name.XXXXXX")
	mkdir -p "$work/corpus"
	if [ -d "$corpus/$name" ]; then
		cp "$corpus/$name"/* "$work/corpus/" 2>/dev/null
	else
		echo "# fuzz $name: no seed corpus in $corpus/$name"
	fi
	"$f" -max_total_time="$secs" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} \
		-print_final_stats=1 -timeout=10 \
		-artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" |
		tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1 |
		sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2, /p')
	crash=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' \
		-o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) |
		head -n 1)
	if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
		echo "ok $n - fuzz $name: ${execs:-?} execs, ${cov}no crash"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz $name: exit $rc after ${execs:-?} execs"
		if [ -n "$crash" ]; then
			keep="$(dirname "$f")/../fuzz-crashes/$name-$(basename "$crash")"
			mkdir -p "$(dirname "$keep")"
			cp "$crash" "$keep"
			echo "# input kept as $keep"
		fi
		grep -v '^#' "$work/log" | tail -n 40 | sed 's/^/# /'
	fi
	rm -rf "$work"
done
echo "1..$n"
[ "$failed" -eq 0 ]
