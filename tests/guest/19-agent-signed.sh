#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Signed adverts (Documentation/protocol.md, "Signed adverts"): three
# members in a line, 1 --ul1-- 2 --ul2-- 3, each with a certificate of the
# site authority. Node 1, a member with the site key, floods to node 2
# adverts in the name of node 3, two hops away from it: sequence number
# 2^32 - 1, an adjacency to node 1, node 1's underlay address as node 3's
# prefix; once unsigned, once with node 3's certificate and a signature
# that is not its key's.
#
# - Node 2 drops each before installing or flooding it: `lsa_bad_sig`
#   counted, a log line with the reason (unsigned, bad_advert_signature).
# - Node 2 keeps node 3's own advert, and its kernel tables are unchanged.
# - Node 3 never gets it (had it, it would outnumber the forged sequence
#   number and run out of them: `limit_seq`), and nobody refused node 3.
#
# Run it with
#   make -C agent && make -C kmod && XMESH_GUEST_MODULES=$PWD/kmod/xmesh.ko \
#       scripts/guest.sh run tests/guest/19-agent-signed.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=mesh.sh
. "$here/mesh.sh"	# mesh_link
# shellcheck source-path=SCRIPTDIR source=agentnet.sh
. "$here/agentnet.sh"	# an_*, x, an_certify

an_require
an_line3_site
A=$AN_DIR

check "node 1's certificate" an_certify node1 1 rack-a web
check "node 2's certificate" an_certify node2 2 rack-a web
check "node 3's certificate" an_certify node3 3 rack-c web

# The emulated guest stalls for hundreds of ms under load: lenient probes.
for name in node1 node2 node3; do
	an_config "$name" "hello-interval 1" "dead-interval 10" "sync-hold 3" \
		"probe-interval 0.1" "probe-miss 10" \
		"authority $A/authority.cert" "certificate $A/$name.cert"
	an_start "$name"
done

if an_wait_routes 90 2 node1 node3; then
	tap_ok "the members authenticate each other and route (signed adverts)"
else
	tap_fail "the members authenticate each other and route (signed adverts)" \
		"$(an_logs node1)" "$(an_logs node2)"
fi
check_json "no advert refused anywhere" \
	'.stats.lsa_bad_sig == 0 and .stats.lsa_bad_claim == 0' \
	x node2 -j -s agent show

tables_before=$(an_tables node2)

# forge KIND: node 1's forged LSU (agentforge.py advert) to node 2, as
# the sender of a message of node 1's captured on ul1 just before.
# shellcheck disable=SC2317 # called through check
forge() {
	n node2 python3 "$here/agentforge.py" capture --dev ul1 \
		--src 10.99.1.1 "$A/captured" >/dev/null &&
		n node1 python3 "$here/agentforge.py" advert --local 10.99.1.1 \
			--dst 10.99.1.2 --ttl 255 --site-key "$A/site.key" \
			--captured "$A/captured" --originator 3 --zone rack-c \
			--cert "$A/node3.cert" "$1" >/dev/null
}

# refused KIND N: node 2 counts N adverts refused and logged KIND.
# shellcheck disable=SC2317 # called through wait_for
refused() {
	[[ $(an_stat node2 .stats.lsa_bad_sig) -ge $2 ]] &&
		grep -q "advert of node 3 (sequence 4294967295) from node 1 dropped: $1" \
			"$A/node2.log"
}

count=0
for kind in unsigned bad_advert_signature; do
	count=$((count + 1))
	arg=$kind
	[[ $kind == unsigned ]] || arg=badsig
	check "node 1 floods a forged advert of node 3 ($arg)" forge "$arg"
	if wait_for 10 refused "$kind" "$count"; then
		tap_ok "node 2 drops it: lsa_bad_sig $count, logged \"$kind\""
	else
		tap_fail "node 2 drops it: lsa_bad_sig $count, logged \"$kind\"" \
			"$(x node2 -j -s agent show | jq -c .stats)" \
			"$(an_logs node2)"
	fi
done

# Two seconds for anything that would follow (a flood, an SPF run).
sleep 2
check_json "node 2 still holds node 3's own advert (its name, its prefix)" \
	'.[] | select(.node == 3) | .lsa_seq < 4294967295 and .name == "node3" and .prefixes == ["10.99.0.3/32"]' \
	x node2 -j node show
tables_after=$(an_tables node2)
if [[ $tables_after == "$tables_before" ]]; then
	tap_ok "node 2's kernel tables unchanged"
else
	tap_fail "node 2's kernel tables unchanged" \
		"$(diff <(echo "$tables_before") <(echo "$tables_after") || true)"
fi
check_json "node 3 never got it: its sequence numbers are not used up" \
	'.stats.limit_seq == 0 and .stats.lsa_bad_sig == 0' \
	x node3 -j -s agent show
check_json "nobody refused node 3 for the forger's adverts" \
	'.kx.refused_claim_mismatch == 0' x node2 -j -s agent show
check "node 1 pings node 3 over the overlay" \
	n node1 ping -c 3 -i 0.2 -W 5 -I "$(an_addr node1)" "$(an_addr node3)"

tap_done
