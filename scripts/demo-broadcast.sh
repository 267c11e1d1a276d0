# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# The demo's media-style broadcast (Documentation/multicast.md): sourced by
# scripts/demo-guest.sh after tests/guest/lib.sh, mesh.sh and agentnet.sh,
# once its agents run (an_node, an_config, an_start: AN_DIR, AN_PID). Uses
# demo-guest.sh's step.
#
#   demo_broadcast SENDER RECEIVER...
#
# The sender joins the group as a sender and the receivers as receivers
# (a "group" line in each agent's configuration, then a reload); once the
# agents have built the tree, the sender streams numbered datagrams (a
# stand-in for media frames) to the group and every receiver counts what
# it got: each frame once, whatever the number of receivers, and each
# link of the tree carries it once. Shows each node's part of the tree.
#
# Environment: DEMO_BROADCAST_GROUP (239.10.0.1), DEMO_BROADCAST_FRAMES
# (1000), DEMO_BROADCAST_RATE (frames per second, 200).

# _broadcast_ready ROOT GROUP RECEIVER...: every RECEIVER delivers the
# group of the tree rooted at node id ROOT.
# shellcheck disable=SC2317 # called through wait_for
_broadcast_ready() {
	local root=$1 g=$2 r
	shift 2
	for r in "$@"; do
		n "$r" "$XM" -j mroute show root "$root" group "$g" |
			jq -e '.[0].local' >/dev/null || return 1
	done
}

# _broadcast_part NAME ROOT GROUP: NAME's part of the tree, its neighbors
# by name ("n2: copies to n3 n5"); nothing if NAME has none.
_broadcast_part() {
	local name=$1 route neighs id node to=() out
	route=$(n "$name" "$XM" -j mroute show root "$2" group "$3" \
		2>/dev/null) || return 0
	jq -e '.[0]' >/dev/null 2>&1 <<<"$route" || return 0
	neighs=$(n "$name" "$XM" -j neigh show)
	for id in $(jq -r '.[0].neighs[]' <<<"$route"); do
		id=$(jq -r --argjson i "$id" '.[] | select(.id == $i) | .node' \
			<<<"$neighs")
		for node in "${!AN_ID[@]}"; do
			[[ ${AN_ID[$node]} != "$id" ]] || to+=("$node")
		done
	done
	out=
	((${#to[@]} == 0)) || out="copies to ${to[*]}"
	if jq -e '.[0].local' >/dev/null <<<"$route"; then
		out+="${out:+, }delivers"
	fi
	printf '  %s: %s\n' "$name" "$out"
}

demo_broadcast() {
	local sender=$1 g=${DEMO_BROADCAST_GROUP:-239.10.0.1}
	local frames=${DEMO_BROADCAST_FRAMES:-1000}
	local rate=${DEMO_BROADCAST_RATE:-200}
	local mio dir name node nodes root pids=() total distinct
	shift
	step "Broadcast: $sender streams media-style frames to $g, received by $*"
	echo "(each agent's configuration gets a \"group\" line, then a reload)"
	mio=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/guest/mcastio.py
	dir=$AN_DIR/broadcast
	mkdir -p "$dir"
	rm -f "$dir"/*

	echo "group $g send" >>"$AN_DIR/$sender.conf"
	kill -HUP "${AN_PID[$sender]}"
	for name in "$@"; do
		echo "group $g receive" >>"$AN_DIR/$name.conf"
		kill -HUP "${AN_PID[$name]}"
	done
	for name in "$sender" "$@"; do
		n "$name" ip link set xmesh0 multicast on
		n "$name" ip route replace 239.0.0.0/8 dev xmesh0
	done

	# The tree is in once every receiver delivers the sender's group.
	root=${AN_ID[$sender]}
	if ! wait_for 60 _broadcast_ready "$root" "$g" "$@"; then
		echo "broadcast: the tree of ($sender, $g) did not form"
		return 1
	fi
	echo "The tree of ($sender, $g) the agents installed, node by node:"
	# Every node, in the order of their ids: transit ones have a part too.
	# (No process substitution: the guest has no /dev/fd.)
	nodes=$(for node in "${!AN_ID[@]}"; do
		echo "${AN_ID[$node]} $node"
	done | sort -n | cut -d' ' -f2)
	for name in $nodes; do
		_broadcast_part "$name" "$root" "$g"
	done

	for name in "$@"; do
		n "$name" python3 "$mio" recv "$g" 5000 "$(an_addr "$name")" \
			"$dir/$name" --deadline $((frames / rate + 60)) &
		pids+=($!)
	done
	for name in "$@"; do
		wait_for 30 test -e "$dir/$name.joined" || true
	done
	echo "$sender streams $frames frames at $rate/s to $g ..."
	n "$sender" python3 "$mio" send "$g" 5000 "$(an_addr "$sender")" \
		"$frames" --rate "$rate" --size 1000 >/dev/null
	wait "${pids[@]}" || true
	local once=0
	for name in "$@"; do
		read -r total distinct <"$dir/$name" 2>/dev/null ||
			total=0 distinct=0
		printf '  %s received %s frames, %s distinct (of %s)\n' \
			"$name" "$total" "$distinct" "$frames"
		if [[ $total == "$frames" && $distinct == "$frames" ]]; then
			once=$((once + 1))
		fi
	done
	if ((once == $#)); then
		echo "  every receiver got every frame exactly once"
	else
		echo "  $once of $# receivers got every frame exactly once"
	fi
	printf '  %s sent %s copies for %d receivers (%s frames, 3 end markers)\n' \
		"$sender" "$(n "$sender" "$XM" -j -s mroute show root "$root" \
			group "$g" | jq -r '.[0].stats.tx_packets')" $# "$frames"
}
