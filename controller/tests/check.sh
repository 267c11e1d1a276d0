#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: the test binaries given as arguments (agent/tests/run.sh),
# twice, as one TAP stream: on SQLite, the names of their tests prefixed
# "sqlite: ", then on PostgreSQL, prefixed "postgresql: ", with a server
# of Debian's package started for the run in a scratch directory
# (tests/pg.sh), stopped and removed at the end, even on failure.
# Without PostgreSQL installed, its half is one skipped test saying so;
# a server that does not start is a failure. Exit status 1 if anything
# failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$here/../../agent/tests/run.sh
n=0
status=0
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xmesh-check.XXXXXX") || exit 1
# The server's user (not root) goes through to its directory.
chmod 711 "$scratch"
mkdir "$scratch/pg"

# shellcheck disable=SC2317 # the trap's
cleanup() {
	"$here/pg.sh" stop "$scratch/pg"
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# half LABEL CMD...: CMD's TAP lines numbered on from the n printed, their
# names prefixed with LABEL, its plan dropped (there is one, at the end).
half() {
	local label=$1 rc
	shift
	"$@" | awk -v n="$n" -v label="$label" -v count="$scratch/count" '
		/^1\.\.[0-9]+$/ { next }
		/^ok [0-9]+/ {
			sub(/^ok [0-9]+( - )?/, "")
			print "ok " ++n " - " label $0
			next
		}
		/^not ok [0-9]+/ {
			sub(/^not ok [0-9]+( - )?/, "")
			print "not ok " ++n " - " label $0
			next
		}
		{ print }
		END { print n > count }'
	rc=${PIPESTATUS[0]}
	n=$(cat "$scratch/count")
	return "$rc"
}

start=$(date +%s)
echo "# store: sqlite"
half "sqlite: " sh "$run" "$@" || status=1
echo "# store: sqlite took $(($(date +%s) - start)) s"

start=$(date +%s)
echo "# store: postgresql"
uri=$("$here/pg.sh" start "$scratch/pg" 2>"$scratch/pg.err")
case $? in
0)
	echo "# the test server started in $(($(date +%s) - start)) s: $uri"
	export XMESH_TEST_PG=$uri
	half "postgresql: " sh "$run" "$@" || status=1
	unset XMESH_TEST_PG
	echo "# store: postgresql took $(($(date +%s) - start)) s"
	;;
3)
	echo "ok $((++n)) - postgresql: the tests on PostgreSQL # SKIP $(head -n 1 "$scratch/pg.err")"
	;;
*)
	echo "not ok $((++n)) - postgresql: the test server did not start"
	sed 's/^/#   /' "$scratch/pg.err"
	status=1
	;;
esac
echo "1..$n"
exit "$status"
