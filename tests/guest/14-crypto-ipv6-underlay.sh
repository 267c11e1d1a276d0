#!/bin/bash
# The frame protection tests of 13-crypto.sh over an IPv6 underlay, with
# the neighbors at their link-local addresses: the hand-made frames too,
# sent from node 1's link-local address on ul1 to node 2's.
exec "$(dirname "${BASH_SOURCE[0]}")/13-crypto.sh" inet6
