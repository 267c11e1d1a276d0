#!/bin/bash
# Runs inside the xmesh test guest, chrooted into the overlay of the host's
# root (see scripts/guest-init). Installs extra modules, runs the test script,
# checks dmesg for kernel trouble, and writes the exit status to the run share
# for scripts/guest.sh on the host.
set -uo pipefail

RUN=/run/xmesh-guest
# run.conf (written by guest.sh) sets MODE, SCRIPT, ARGS, CWD, MODDIR and
# GUEST_TERM, and exports the caller's XMESH_* variables.
# shellcheck source=/dev/null
. "$RUN/run.conf" || { echo 125 >"$RUN/status"; exit 1; }

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=${GUEST_TERM:-dumb}
export XMESH_IN_GUEST=1

finish() {
	echo "$1" >"$RUN/status"
	exit "$1"
}

# Install the project's modules (XMESH_GUEST_MODULES): guest.sh prepared
# extra/*.ko and the matching modules.* indexes on the host (MODDIR); the
# modules directory is on the writable overlay, so copy them over it.
install_modules() {
	[[ -n $MODDIR ]] || return 0
	cp -r "$MODDIR/." "/lib/modules/$(uname -r)/"
}

# Kernel messages that mean a test broke the kernel, even if the test passed.
BAD='WARNING:|BUG:|Oops|general protection|KASAN|UBSAN|kernel BUG|RCU stall|refcount_t|list_add corruption|list_del corruption|unreferenced object|segfault|blocked for more than'

install_modules || finish 125

if [[ $MODE == shell ]]; then
	echo "xmesh guest shell (kernel $(uname -r)); 'exit' powers off"
	cd "$CWD" 2>/dev/null || cd /
	# Job control needs a controlling terminal; the console cannot be one.
	setsid -c bash -i </dev/ttyS0 >/dev/ttyS0 2>&1
	finish 0
fi

# Kernel code patched under traffic livelocks the emulated guest: both CPUs
# were seen stuck for minutes in __netif_receive_skb_core, one in the int3 of
# text_poke_bp(), as a static key flipped. Turn on while the guest is idle,
# for good, the keys the tests would flip under traffic: timestamps (every
# ping sets SO_TIMESTAMP: its first socket turns the key on, its exit off),
# tc's ingress and egress hooks (the first clsact), netfilter's hooks and
# conntrack (the first base chain).
static_keys_on() {
	local ready
	tc qdisc replace dev lo clsact || return
	nft -f - <<-EOF || return
	table inet xmesh-guest-keys {
		chain keys_pre { type filter hook prerouting priority 0; ct state established accept; }
		chain keys_in { type filter hook input priority 0; }
		chain keys_fwd { type filter hook forward priority 0; }
		chain keys_out { type filter hook output priority 0; }
		chain keys_post { type filter hook postrouting priority 0; }
	}
	EOF
	coproc KEYS {
		exec python3 -c 'import signal, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 29, 1)  # SO_TIMESTAMP (x86-64)
print("on", flush=True)
signal.pause()'
	}
	read -r -t 60 ready <&"${KEYS[0]}" && [[ $ready == on ]]
}

static_keys_on || { echo "guest: cannot turn the static keys on"; finish 125; }

name=${SCRIPT##*/}
# A unique marker in the kernel log, so that only what the script caused is
# checked.
marker="xmesh-guest: start $name $$-$RANDOM$RANDOM"
echo "$marker" >/dev/kmsg

cd "$CWD" || { echo "guest: no directory $CWD"; finish 125; }
read -r start _ </proc/uptime
if [[ -x $SCRIPT ]]; then
	"$SCRIPT" "${ARGS[@]}" </dev/null
else
	bash "$SCRIPT" "${ARGS[@]}" </dev/null
fi
rc=$?
read -r end _ </proc/uptime
[[ -n ${XMESH_GUEST_VERBOSE:-} ]] &&
	echo "# guest: booted in ${start}s, $name took $(echo "$end - $start" | bc)s, exit $rc"

# Only what was logged after the marker counts, unless the marker has been
# pushed out of the ring, in which case the whole log is checked.
# (awk, not bash patterns: those take seconds on a long log under emulation.)
log=$(dmesg | awk -v m="$marker" '{ l[NR] = $0 } index($0, m) { s = NR }
	END { for (i = s + 1; i <= NR; i++) print l[i] }')
bad=$(grep -E "$BAD" <<<"$log")
if [[ -n $bad ]]; then
	echo "# kernel log since $name started (last 200 lines):"
	tail -n 200 <<<"$log" | sed 's/^/# /'
	echo "# offending lines:"
	printf '# %s\n' "${bad//$'\n'/$'\n'# }"
	echo "not ok - dmesg clean after $name"
	((rc)) || rc=1
else
	echo "ok - dmesg clean after $name"
fi
finish "$rc"
