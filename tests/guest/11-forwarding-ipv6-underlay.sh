#!/bin/bash
# The data-plane tests of 10-forwarding.sh over an IPv6 underlay, with the
# neighbors at their link-local addresses.
exec "$(dirname "${BASH_SOURCE[0]}")/10-forwarding.sh" inet6
