#!/bin/bash
# The frame protection tests of 13-crypto.sh over an IPv6 underlay, with
# the neighbors at their link-local addresses (the hand-made frames, sent
# over IPv4 only, are skipped).
exec "$(dirname "${BASH_SOURCE[0]}")/13-crypto.sh" inet6
