/**
 * Tiny pcap / pcapng reader for tests: pulls UDP datagrams out of captures.
 * Handles the link types found in our fixtures (Ethernet incl. 802.1Q,
 * BSD loopback/NULL, raw IP, Linux SLL) over IPv4 and IPv6. Formats:
 * pcap (tcpdump/libpcap file format, both byte orders, us/ns) and pcapng
 * (SHB/IDB/EPB/SPB). Frames it cannot parse are skipped, not thrown.
 */

export interface UdpDatagram {
  /** frame index in the capture (0-based) */
  readonly frame: number;
  readonly srcPort: number;
  readonly dstPort: number;
  /** UDP payload, cut to the length the UDP header claims if captured in full */
  readonly payload: Uint8Array;
  /** true when the capture holds fewer bytes than the IP/UDP headers claim */
  readonly truncated: boolean;
}

interface Frame {
  readonly linkType: number;
  readonly data: Uint8Array;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Raw frames of a pcap or pcapng file. */
export function readFrames(file: Uint8Array): Frame[] {
  if (file.length < 4) return [];
  const dv = view(file);
  const magicBE = dv.getUint32(0, false);
  if (magicBE === 0x0a0d0d0a) return readPcapng(file);
  let le: boolean;
  if (magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d) le = false;
  else if (magicBE === 0xd4c3b2a1 || magicBE === 0x4d3cb2a1) le = true;
  else throw new Error('not a pcap file');
  if (file.length < 24) return [];
  // low 16 bits: link type; upper bits may carry FCS info (pcap format spec)
  const linkType = dv.getUint32(20, le) & 0xffff;
  const frames: Frame[] = [];
  let off = 24;
  while (off + 16 <= file.length) {
    const incl = dv.getUint32(off + 8, le);
    const start = off + 16;
    const end = Math.min(start + incl, file.length);
    frames.push({ linkType, data: file.subarray(start, end) });
    off = start + incl;
  }
  return frames;
}

function readPcapng(file: Uint8Array): Frame[] {
  const dv = view(file);
  const frames: Frame[] = [];
  const linkTypes: number[] = [];
  let le = true;
  let off = 0;
  while (off + 12 <= file.length) {
    let type = dv.getUint32(off, le);
    if (type === 0x0a0d0d0a) {
      // Section Header Block: byte-order magic decides endianness
      le = dv.getUint32(off + 8, true) === 0x1a2b3c4d;
      linkTypes.length = 0;
      type = 0x0a0d0d0a;
    }
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || off + len > file.length) break;
    if (type === 1) {
      linkTypes.push(dv.getUint16(off + 8, le));
    } else if (type === 6 && len >= 28) {
      const ifId = dv.getUint32(off + 8, le);
      const capLen = dv.getUint32(off + 20, le);
      const start = off + 28;
      frames.push({ linkType: linkTypes[ifId] ?? 1, data: file.subarray(start, Math.min(start + capLen, off + len - 4)) });
    } else if (type === 3 && len >= 16) {
      frames.push({ linkType: linkTypes[0] ?? 1, data: file.subarray(off + 12, off + len - 4) });
    }
    off += len;
  }
  return frames;
}

/** Offset and ethertype-like family of the network header for a link type. */
function networkStart(f: Frame): { off: number; family: 4 | 6 } | undefined {
  const d = f.data;
  const dv = view(d);
  switch (f.linkType) {
    case 1: { // Ethernet
      let off = 12;
      if (d.length < off + 2) return undefined;
      let et = dv.getUint16(off, false);
      while ((et === 0x8100 || et === 0x88a8) && d.length >= off + 6) {
        off += 4;
        et = dv.getUint16(off, false);
      }
      off += 2;
      if (et === 0x0800) return { off, family: 4 };
      if (et === 0x86dd) return { off, family: 6 };
      return undefined;
    }
    case 0: // BSD loopback: 4-byte AF in host order
    case 108: {
      if (d.length < 4) return undefined;
      const v = (d[4] ?? 0) >>> 4;
      return v === 4 ? { off: 4, family: 4 } : v === 6 ? { off: 4, family: 6 } : undefined;
    }
    case 12: case 14: case 101: { // raw IP
      const v = (d[0] ?? 0) >>> 4;
      return v === 4 ? { off: 0, family: 4 } : v === 6 ? { off: 0, family: 6 } : undefined;
    }
    case 113: { // Linux cooked (SLL)
      if (d.length < 16) return undefined;
      const et = dv.getUint16(14, false);
      return et === 0x0800 ? { off: 16, family: 4 } : et === 0x86dd ? { off: 16, family: 6 } : undefined;
    }
    default:
      return undefined;
  }
}

/** All UDP datagrams in a capture (first IP fragments only). */
export function udpDatagrams(file: Uint8Array): UdpDatagram[] {
  const out: UdpDatagram[] = [];
  readFrames(file).forEach((f, frame) => {
    const net = networkStart(f);
    if (net === undefined) return;
    const d = f.data;
    const dv = view(d);
    let off = net.off;
    let claimedEnd: number;
    if (net.family === 4) {
      if (d.length < off + 20) return;
      const ihl = ((d[off] ?? 0) & 0x0f) * 4;
      const total = dv.getUint16(off + 2, false);
      const fragOff = dv.getUint16(off + 6, false) & 0x1fff;
      if ((d[off + 9] ?? 0) !== 17 || fragOff !== 0 || ihl < 20) return;
      claimedEnd = off + total;
      off += ihl;
    } else {
      if (d.length < off + 40) return;
      if ((d[off + 6] ?? 0) !== 17) return; // no extension-header walking: fixtures have none
      claimedEnd = off + 40 + dv.getUint16(off + 4, false);
      off += 40;
    }
    if (d.length < off + 8) return;
    const srcPort = dv.getUint16(off, false);
    const dstPort = dv.getUint16(off + 2, false);
    const udpLen = dv.getUint16(off + 4, false);
    const want = Math.min(off + Math.max(udpLen, 8), claimedEnd);
    const end = Math.min(want, d.length);
    out.push({ frame, srcPort, dstPort, payload: d.slice(off + 8, end), truncated: end < want });
  });
  return out;
}

/**
 * The IKE message in a UDP datagram: as is on port 500; on port 4500 only
 * when it starts with the 4-octet non-ESP marker (RFC 3948 §2.2), which is
 * stripped. Returns undefined for ESP-in-UDP and NAT-keepalives.
 */
export function ikeFromUdp(d: UdpDatagram): Uint8Array | undefined {
  if (d.srcPort === 4500 || d.dstPort === 4500) {
    const p = d.payload;
    if (p.length > 4 && p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0) return p.subarray(4);
    return undefined;
  }
  if (d.srcPort === 500 || d.dstPort === 500) return d.payload;
  return undefined;
}
