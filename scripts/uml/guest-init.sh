#!/bin/sh
# PID 1 inside User-mode Linux (docs/xfrm.md "User-mode Linux"). The host's
# root is mounted read-only (hostfs); KW_WORK (a host folder, passed on the
# kernel command line, which UML hands to init as environment) is mounted
# read-write for results. Loads the crypto/ESP modules, then runs the
# scenario runner with node, then powers off. Everything it prints goes to
# the console (the host test keeps it as console.txt).
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs -o mode=755 none /run
mkdir -p /run/netns /run/lock
# TMPDIR must not be under /run: the lab mounts a private tmpfs on /var/run (= /run) for charon
mount -t tmpfs none /var/tmp
mount -t tmpfs none /dev/shm 2>/dev/null || true
mount -t hostfs -o "$KW_WORK" none "$KW_WORK"
export TMPDIR=/var/tmp HOME=/var/tmp
log="$KW_WORK/guest.log"
echo "guest: booted $(uname -r) at $(date +%s.%N)" > "$log"
M=/usr/lib/uml/modules/$(uname -r)
# modules.dep lists "path: deps..." with deps in load order (deepest last)
load() {
  for m in "$@"; do
    line=$(grep -E "(^|/)$m\.ko:" "$M/modules.dep" | head -n 1)
    [ -n "$line" ] || { echo "guest: no module $m" >> "$log"; continue; }
    deps=${line#*:}
    for d in $(echo $deps | tr ' ' '\n' | tac 2>/dev/null || echo $deps); do busybox insmod "$M/$d" 2>/dev/null; done
    busybox insmod "$M/${line%%:*}" 2>/dev/null
  done
}
# the DRBG first, or every ESP SA fails ("unable to initialize cryptographic operations")
load sha512_generic drbg jitterentropy_rng
load xfrm_user xfrm_algo esp4 esp6 ah4 xfrm4_tunnel tunnel4 gcm ctr ghash-generic gf128mul hmac \
  cbc seqiv echainiv authenc authencesn tun veth chacha20poly1305 chacha_generic poly1305_generic cmac xcbc ccm \
  iptable_nat xt_MASQUERADE
echo "guest: modules loaded at $(date +%s.%N): $(wc -l < /proc/modules) modules" >> "$log"
cd "$KW_REPO" && node "$KW_REPO/dist/test/uml/guest/runner.js" "$KW_WORK" >> "$log" 2>&1
echo "guest: runner exited $? at $(date +%s.%N)" >> "$log"
sync
busybox poweroff -f
