#!/usr/bin/env bash
# Installs what the User-mode Linux tests need (docs/xfrm.md, ../shared LAB.md §4):
# the UML kernel (Linux 6.1 with ESP/XFRM/crypto modules), busybox (insmod,
# poweroff inside the guest: the host has no kmod) and strongSwan 5.9.8 as the
# reference peer, iptables-legacy for the NAT namespace, tshark/dumpcap for the wire check,
# Libreswan 4.10 extracted (not installed) for the IKEv1 scenario. Idempotent; run as root. Prints the UML kernel path.
set -euo pipefail
need=()
command -v linux.uml >/dev/null 2>&1 || test -x /usr/bin/linux.uml || need+=(user-mode-linux)
command -v busybox >/dev/null 2>&1 || need+=(busybox)
command -v swanctl >/dev/null 2>&1 || need+=(strongswan-swanctl charon-systemd libcharon-extra-plugins libstrongswan-extra-plugins)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# the NAT scenario masquerades with iptables-legacy: the UML kernel has no nft NAT chain type
command -v iptables-legacy >/dev/null 2>&1 || need+=(iptables)
# the xfrm <-> userspace scenario captures in the guest (dumpcap); tshark on the host checks the capture
command -v dumpcap >/dev/null 2>&1 && command -v tshark >/dev/null 2>&1 || need+=(tshark)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/uml/setup.sh: missing ${need[*]} and not root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # "do not start services" while installing (no packaged charon on the host)
  created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created=1; fi
  trap '[ "$created" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi
# Libreswan 4.10 as the second peer (LAB.md §3): it conflicts with the strongSwan
# packages, so it is never installed; its .deb is extracted into a folder the
# lab owns (test/uml/lab/libreswan.ts LIBRESWAN_ROOT), and only its libraries
# and certutil (NSS db) are installed.
lsw=/var/cache/keyway-lab/libreswan
lsw_need=()
command -v certutil >/dev/null 2>&1 || lsw_need+=(libnss3-tools)
ldconfig -p | grep -q 'libldns\.so\.3' || lsw_need+=(libldns3)
ldconfig -p | grep -q 'libevent_pthreads-2\.1\.so\.7' || lsw_need+=(libevent-pthreads-2.1-7)
if [ "${#lsw_need[@]}" -gt 0 ] || [ ! -x "$lsw/usr/libexec/ipsec/pluto" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/uml/setup.sh: Libreswan not set up and not root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ "${#lsw_need[@]}" -gt 0 ]; then
    apt-get install -y --no-install-recommends "${lsw_need[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${lsw_need[@]}" >/dev/null; }
  fi
  if [ ! -x "$lsw/usr/libexec/ipsec/pluto" ]; then
    dl=$(mktemp -d)
    # _apt cannot write to a root-owned mktemp folder: download as root
    (cd "$dl" && apt-get download -o APT::Sandbox::User=root libreswan >/dev/null) || { apt-get update >/dev/null && (cd "$dl" && apt-get download -o APT::Sandbox::User=root libreswan >/dev/null); }
    rm -rf "$lsw.new" && mkdir -p "$lsw.new"
    dpkg-deb -x "$dl"/libreswan_*.deb "$lsw.new"
    rm -rf "$dl" "$lsw" && mv "$lsw.new" "$lsw"
  fi
fi
test -x "$lsw/usr/libexec/ipsec/pluto"
uml=$(command -v linux.uml || echo /usr/bin/linux.uml)
test -x "$uml"
ls -d /usr/lib/uml/modules/*/ >/dev/null
echo "$uml"
