#!/usr/bin/env bash
# The README's test command: every test suite, with the strongSwan interop lab
# REQUIRED (KEYWAY_REQUIRE_INTEROP=1 turns a missing prerequisite into a
# failure instead of a skip).
#
#   sudo bash scripts/test.sh
#
# Needs root (network namespaces, packages) and Node.js >= 20. Installs the
# lab's Debian packages if any is missing (strongSwan 5.9.8, tshark, nftables,
# iproute2, and python3/make/g++ for the native addon), runs `npm ci` if
# node_modules is missing (which also builds the addon) or builds just the
# addon if it is missing, then `npm test`, whose last line is
# "N passed, N failed". Idempotent: a second run installs nothing.
set -euo pipefail

cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/test.sh: run as root (the interop tests create network namespaces): sudo bash scripts/test.sh" >&2
  exit 1
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "scripts/test.sh: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none)); see README.md" >&2
  exit 1
fi

PKGS=(strongswan-swanctl charon-systemd libcharon-extra-plugins libstrongswan-extra-plugins
      tshark nftables iproute2 python3 make g++
      # kernel ESP tests (docs/xfrm.md): the UML kernel, busybox (insmod/ping in the guest), iptables-legacy (NAT)
      user-mode-linux busybox iptables)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "scripts/test.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # wireshark-common asks whether non-root users may capture: answer "no" up
  # front so the install never prompts (the tests capture as root).
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  # policy-rc.d exit 101 = "do not start services": no packaged charon may
  # grab the host's UDP 500 (the lab runs its own charons in namespaces).
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; created_policy=0; fi
  trap - EXIT
fi

# A packaged charon started by systemd (outside CI) would also hold port 500.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now strongswan.service strongswan-starter.service 2>/dev/null || true
fi

if [ ! -d node_modules ]; then
  npm ci   # its install script builds native/ (scripts/build-native.mjs)
elif [ -f native/binding.gyp ] && [ ! -f native/build/Release/keyway_native.node ]; then
  # e.g. node_modules came before g++ did (npm puts its node-gyp on PATH for `npm run`)
  npm run build:native || echo "scripts/test.sh: WARNING: native addon build failed; its tests will fail" >&2
fi

KEYWAY_REQUIRE_INTEROP=1 npm test
