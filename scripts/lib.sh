# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shell functions the scripts share; source it (bash).

# die MSG...: "SCRIPT: MSG" on stderr, then exit with XM_DIE_STATUS: 2 by
# default (the run could not happen, which is no test failure); a script
# whose callers read another status sets it after sourcing this file.
die() {
	echo "${0##*/}: $*" >&2
	exit "${XM_DIE_STATUS:-2}"
}

# xm_install_missing TAG PKG...: apt-get install those of PKG... that are
# not installed (quietly; the log is shown on failure), as root or with
# sudo. A fresh machine may have no package lists yet: update once on
# failure. TAG names the caller in messages.
xm_install_missing() {
	local tag=$1 p missing=() sudo=() log
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if ((EUID != 0)); then
		command -v sudo >/dev/null || { echo "$tag: missing packages ${missing[*]} and not root" >&2; return 2; }
		sudo=(sudo -n)
	fi
	echo "# installing ${missing[*]}"
	log=$(mktemp)
	export DEBIAN_FRONTEND=noninteractive
	if "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" \
		</dev/null >"$log" 2>&1 ||
		{ "${sudo[@]}" apt-get update &&
			"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; } \
		</dev/null >>"$log" 2>&1; then
		rm -f "$log"
		return 0
	fi
	cat "$log" >&2
	rm -f "$log"
	echo "$tag: apt-get install ${missing[*]} failed" >&2
	return 2
}

# xm_tap_summary LOG START WHAT: the closing lines of a run whose TAP lines
# are in LOG: how long WHAT took since START (epoch seconds), the failed
# tests again, and `N passed, N failed[, N skipped]`, the line CI reads.
# Returns 0 only when something passed and nothing failed.
xm_tap_summary() {
	local log=$1 start=$2 what=$3 skipped passed failed
	skipped=$(grep -cE '^ok\b.*# SKIP' "$log")
	passed=$(($(grep -cE '^ok\b' "$log") - skipped))
	failed=$(grep -cE '^not ok\b' "$log")
	echo "# $what took $(($(date +%s) - start)) s"
	if ((failed)); then
		echo "# failed:"
		grep -E '^not ok\b' "$log" | sed 's/^/#   /'
	fi
	if ((skipped)); then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	((failed == 0 && passed > 0))
}

# ok NAME / fail NAME [DETAIL...]: a TAP line numbered by the caller's n
# (failures counted in its failed), DETAIL's last 30 lines as comments.
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() {
	local name=$1
	shift
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $name"
	[[ $# -eq 0 ]] || printf '%s\n' "$@" | tail -n 30 | sed 's/^/#   /'
}
