#!/usr/bin/env bash
# Regenerates the golden netlink messages in this folder: runs iproute2's
# `ip xfrm ...` in a throw-away network namespace under strace and writes the
# request it sends (and, for some, the kernel's reply) as hex, one message per
# file, with a provenance header. Needs root, strace, python3.
#   test/unit/xfrm/golden/capture.sh
# The committed files were captured with iproute2 6.1.0 on Linux 6.18 (x86_64).
set -euo pipefail
cd "$(dirname "$0")"
ns="kw-golden-$$"
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip -n "$ns" link set lo up

cap() { # name, then the ip arguments
  local name=$1; shift
  local log; log=$(mktemp)
  ip netns exec "$ns" strace -X raw -e trace=sendmsg,recvmsg -s 65536 -xx -o "$log" ip "$@" >/dev/null 2>&1 || true
  python3 - "$log" "$name" "ip $*" <<'PY'
import re, struct, sys
log, name, cmd = sys.argv[1:4]
text = open(log).read()
hdr = r'\{nlmsg_len=(\d+), nlmsg_type=(?:0x)?([0-9a-f]+), nlmsg_flags=(?:0x)?([0-9a-f]+), nlmsg_seq=(\d+), nlmsg_pid=(\d+)\}'
def unhex(s): return bytes(int(h, 16) for h in re.findall(r'\\x([0-9a-f]{2})', s))
def header(m): return struct.pack('<IHHII', int(m[0]), int(m[1], 16), int(m[2], 16), int(m[3]), int(m[4]))
out = []
for line in text.splitlines():
    if line.startswith('sendmsg('):
        m = re.search(hdr + r', "((?:\\x[0-9a-f]{2})*)"', line)
        if m: out.append(('request', header(m.groups()[:5]) + unhex(m.group(6))))
    elif line.startswith('recvmsg(') and 'iov_base=[{nlmsg_len' in line:
        m = re.search(hdr, line)
        if m is None: continue
        g = m.groups()
        if g[1] == '2':  # NLMSG_ERROR: error, echoed request, ext-ack TLVs
            e = re.search(r'\{error=(-?\d+), msg=\[' + hdr + r', "((?:\\x[0-9a-f]{2})*)"\]\}(.*)', line)
            if e is not None:
                body = struct.pack('<i', int(e.group(1))) + header(e.groups()[1:6]) + unhex(e.group(7))
                rest = e.group(8)
            else:  # NLM_F_CAPPED: only the echoed header
                e = re.search(r'\{error=(-?\d+), msg=' + hdr + r'\}(.*)', line)
                body = struct.pack('<i', int(e.group(1))) + header(e.groups()[1:6])
                rest = e.group(7)
            for a in re.finditer(r'\{nla_len=(\d+), nla_type=0x([0-9a-f]+)\}, "((?:\\x[0-9a-f]{2})*)"', rest):
                ln = int(a.group(1)); data = unhex(a.group(3))[:ln - 4]
                data = data + b'\0' * (ln - 4 - len(data))
                body += struct.pack('<HH', ln, int(a.group(2), 16)) + data + b'\0' * ((4 - ln % 4) % 4)
            out.append(('reply', header(g) + body))
        else:
            s = re.search(hdr + r', "((?:\\x[0-9a-f]{2})*)"', line)
            if s: out.append(('reply', header(g) + unhex(s.group(6))))
for i, (kind, b) in enumerate(out):
    fn = f'{name}.{kind}.hex' if sum(1 for k, _ in out if k == kind) == 1 else f'{name}.{kind}{i}.hex'
    with open(fn, 'w') as f:
        f.write(f'# {kind} captured with strace from iproute2: {cmd}\n# in a fresh network namespace (see capture.sh); little-endian x86_64\n')
        h = b.hex()
        f.write('\n'.join(h[j:j + 64] for j in range(0, len(h), 64)) + '\n')
PY
  rm -f "$log"
}

cap newpolicy-out-tunnel xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out priority 199808 \
  tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1258291207 mode tunnel
cap delpolicy-out xfrm policy delete src 10.1.0.0/24 dst 10.2.0.0/24 dir out
cap newsa-gcm-error xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00001234 reqid 1258291207 mode tunnel \
  aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128
cap newsa-cbc-sha256-encap xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00001234 reqid 1258291207 mode transport \
  enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f auth-trunc 'hmac(sha256)' 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 128 \
  encap espinudp 4500 4501 0.0.0.0
cap allocspi xfrm state allocspi src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1258291207 min 0x100 max 0x100
cap delsa xfrm state delete src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x00000100
ls -1 ./*.hex
