# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# xmesh-controller beside agentnet.sh's nodes, for the guest tests and the
# demo: a site authority, a policy key it certifies, node certificates,
# the controller in the root namespace, and the management links the
# agents reach it over (mgI in the root namespace, 10.98.I.1, to mg0 in
# node I's, 10.98.I.2). Source lib.sh and agentnet.sh first.
#
# Set before use: A (a scratch directory, usually $AN_DIR), CTL_PORT
# (default 7680), NODES (the node names ctl_all_logs shows). The
# controller's store is $A/controller.db; XMESH_CONTROLLER (exported)
# points the tool at it, XMESH_TOKEN is for the caller to set.

CTL=$AN_TOP/controller/xmesh-controller
CTL_PORT=${CTL_PORT:-7680}
CTL_PID=
export XMESH_CONTROLLER=http://127.0.0.1:$CTL_PORT

# ctl_require: bail out unless the controller is built.
ctl_require() {
	if [[ ! -x $CTL ]]; then
		echo "Bail out! $CTL is not built (make -C controller)"
		exit 1
	fi
}

# ctl_mgmt_links NAME...: a management link for each node (agentnet.sh's
# ids); the root namespace's loopback up for the operator's requests.
ctl_mgmt_links() {
	local name i
	ip link set lo up
	for name in "$@"; do
		i=${AN_ID[$name]}
		ip link add "mg$i" type veth peer name mg0 netns "xm-$name"
		ip addr add "10.98.$i.1/24" dev "mg$i"
		ip link set "mg$i" up
		ip -n "xm-$name" addr add "10.98.$i.2/24" dev mg0
		ip -n "xm-$name" link set mg0 up
		at_exit "ip link del mg$i"
	done
}

# ctl_agent_url NAME: the controller's address as NAME's agent reaches it.
ctl_agent_url() {
	echo "http://10.98.${AN_ID[$1]}.1:$CTL_PORT"
}

# ctl_authority [SITE]: the site authority and the policy key it
# certifies, in $A.
ctl_authority() {
	"$XM" cert authority create name "${1:-edge1}" \
		key "$A/authority.key" cert "$A/authority.cert" >/dev/null &&
		"$XM" cert key create "$A/policy.key" >/dev/null &&
		"$XM" cert key show "$A/policy.key" >"$A/policy.pub" &&
		"$XM" cert sign authority-key "$A/authority.key" \
			authority "$A/authority.cert" pubkey "$A/policy.pub" \
			kind policy out "$A/policy.cert" >/dev/null
}

# ctl_certify NAME [ZONE [ROLE...]]: NAME's node key ($A/state-NAME) and
# certificate ($A/NAME.cert; zone web by default): its zone and roles
# are the certificate's.
ctl_certify() {
	local name=$1 zone=${2:-web} role roles=()
	shift $(($# < 2 ? $# : 2))
	for role in "$@"; do
		roles+=(role "$role")
	done
	mkdir -p "$A/state-$name"
	"$XM" cert key create "$A/state-$name/node.key" >/dev/null &&
		"$XM" cert key show "$A/state-$name/node.key" >"$A/$name.pub" &&
		"$XM" cert sign authority-key "$A/authority.key" \
			authority "$A/authority.cert" pubkey "$A/$name.pub" \
			node "${AN_ID[$name]}" zone "$zone" "${roles[@]}" \
			out "$A/$name.cert" >/dev/null
}

# ctl_site NAME...: the site around a controller: a management link for
# each node, the site authority and policy key, each node's certificate
# (zone web); one TAP line for each of the two last.
ctl_site() {
	local name
	ctl_mgmt_links "$@"
	check "the site authority and its policy key" ctl_authority
	for name in "$@"; do
		check "$name's certificate" ctl_certify "$name"
	done
}

# ctl_token ROLE NAME: a new API token of ROLE, printed.
ctl_token() {
	"$CTL" --db "$A/controller.db" token add "$1" "$2"
}

# ctl_start [OPTION...]: the controller in the background (CTL_PID), on
# the store it had, with the authority and policy key of ctl_authority
# and the options given; ctl_wait tells when it answers.
# shellcheck disable=SC2120 # options are optional
ctl_start() {
	"$CTL" --db "$A/controller.db" --authority "$A/authority.cert" \
		--policy-key "$A/policy.key" --policy-cert "$A/policy.cert" \
		--listen 0.0.0.0 --port "$CTL_PORT" "$@" \
		>>"$A/controller.log" 2>&1 &
	CTL_PID=$!
	at_exit "kill -KILL $CTL_PID"
}

# ctl_wait [SECONDS]: until the controller answers (30 s by default).
# shellcheck disable=SC2120 # SECONDS is optional
ctl_wait() {
	wait_for "${1:-30}" curl -sf "$XMESH_CONTROLLER/metrics" >/dev/null
}

# ctl_api PATH: a GET of the operator API with XMESH_TOKEN.
ctl_api() {
	curl -sf -H "Authorization: Bearer $XMESH_TOKEN" \
		"$XMESH_CONTROLLER/api/v1/$1"
}

# ctl_at_version VERSION NAME...: every NAME's agent applied that policy.
ctl_at_version() {
	local v=$1 name
	shift
	for name in "$@"; do
		jq_true ".agent.policy_version == $v" x "$name" -j -s agent show ||
			return 1
	done
}

# ctl_log_has JQ: the remediation log (xmesh -j remediation log)
# satisfies JQ.
ctl_log_has() {
	"$XM" -j remediation log limit 1000 | jq -e "$1" >/dev/null
}

# ctl_all_logs [LINES]: the end of every node's agent log and of the
# controller's, for a failure's details.
# shellcheck disable=SC2120 # LINES is optional
ctl_all_logs() {
	local name
	for name in "${NODES[@]}"; do
		an_logs "$name" "${1:-10}"
	done
	echo "--- controller"
	tail -n "${1:-20}" "$A/controller.log"
}
