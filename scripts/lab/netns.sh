#!/usr/bin/env bash
# Manual lab topology for debugging, same layout as test/interop/lab/topology.ts:
#   west (192.0.2.1/24 + 10.1.0.1/24 on w0) <== veth ==> east (192.0.2.2/24 + 10.2.0.1/24 on e0)
# Usage:
#   scripts/lab/netns.sh up [PREFIX]      create PREFIX-west / PREFIX-east (default PREFIX=kw-manual)
#   scripts/lab/netns.sh down [PREFIX]    delete them (and everything running inside, by pid)
#   scripts/lab/netns.sh charon west|east [PREFIX]
#                                         print the command that starts a charon there
# The automated tests never use this script; they create per-run namespaces.
set -euo pipefail
cmd=${1:-}
prefix=${2:-kw-manual}
[ "$cmd" = charon ] && prefix=${3:-kw-manual}
W="$prefix-west"; E="$prefix-east"

case "$cmd" in
  up)
    ip netns add "$W"; ip netns add "$E"
    ip link add w0 netns "$W" type veth peer name e0 netns "$E"
    ip -n "$W" addr add 192.0.2.1/24 dev w0; ip -n "$W" addr add 10.1.0.1/24 dev w0
    ip -n "$E" addr add 192.0.2.2/24 dev e0; ip -n "$E" addr add 10.2.0.1/24 dev e0
    for ns in "$W" "$E"; do ip -n "$ns" link set lo up; done
    ip -n "$W" link set w0 up; ip -n "$E" link set e0 up
    echo "up: $W (192.0.2.1) <-> $E (192.0.2.2)"
    ;;
  down)
    for ns in "$W" "$E"; do
      if ip netns list | grep -qw "$ns"; then
        # only the processes inside this namespace, by pid
        for pid in $(ip netns pids "$ns"); do kill "$pid" 2>/dev/null || true; done
        sleep 0.5
        for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns"
      fi
    done
    echo "down: $W $E"
    ;;
  charon)
    side=${2:?west|east}
    ns="$prefix-$side"
    bin=/usr/sbin/charon-systemd; [ -x /usr/lib/ipsec/charon ] && bin=/usr/lib/ipsec/charon
    echo "STRONGSWAN_CONF=/path/strongswan.conf ip netns exec $ns unshare -m sh -c 'mount -t tmpfs none /var/run && exec $bin'"
    echo "(settings section is 'charon-systemd { }' for charon-systemd; see docs/testing.md)"
    ;;
  *)
    sed -n '2,10p' "$0"; exit 2 ;;
esac
