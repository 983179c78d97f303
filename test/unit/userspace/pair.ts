/**
 * Two userspace dataplanes wired back to back in memory (no TUN, no sockets):
 * west's ESP goes to east's fromNetwork() and vice versa; packets east
 * decrypts land in `east.delivered`. Keys and SPIs are fixed per test.
 */
import type { PolicySpec, SaKey, SaSpec, Selector } from '../../../src/ike/dataplane.js';
import { SeededRng } from '../../../src/crypto/rng.js';
import type { NativeAead } from '../../../src/kernel/userspace/esp-aead.js';
import { UserspaceDataplane } from '../../../src/kernel/userspace/userspace-dataplane.js';

export interface Side {
  readonly dp: UserspaceDataplane;
  readonly delivered: Uint8Array[];
  /** ESP packets this side sent (each as one buffer) */
  readonly wire: Uint8Array[];
}

export const W = '192.0.2.1';
export const E = '192.0.2.2';

export function sel(start: string, end = start, protocol = 0, startPort = 0, endPort = 65535): Selector {
  return { family: start.includes(':') ? 6 : 4, startAddress: start, endAddress: end, protocol, startPort, endPort };
}

export function makeSide(name: string, deliverTo: () => Side | undefined, now: () => number = () => 0, extra: { readonly aead?: NativeAead } = {}): Side {
  const delivered: Uint8Array[] = [];
  const wire: Uint8Array[] = [];
  const dp: UserspaceDataplane = new UserspaceDataplane({
    rng: new SeededRng(`userspace-${name}`),
    now,
    ...extra,
    device: { name: `${name}0`, write: (p) => delivered.push(new Uint8Array(p)) },
    send: (local, remote, chunks) => {
      const bytes = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
      wire.push(bytes);
      deliverTo()?.dp.fromNetwork({ local: remote, remote: local, bytes });
    },
  });
  return { dp, delivered, wire };
}

export interface PairOptions {
  readonly keys: SaKey;
  readonly mode?: 'tunnel' | 'transport';
  readonly esn?: boolean;
  readonly replayWindow?: number;
  readonly lifetime?: SaSpec['lifetime'];
  readonly westNet?: Selector;
  readonly eastNet?: Selector;
}

/** SA (both directions) and policies for west->east with SPI 0x1000 and east->west with 0x2000. */
export async function installPair(west: Side, east: Side, o: PairOptions): Promise<void> {
  const mode = o.mode ?? 'tunnel';
  const westNet = o.westNet ?? (mode === 'tunnel' ? sel('10.1.0.0', '10.1.0.255') : sel(W));
  const eastNet = o.eastNet ?? (mode === 'tunnel' ? sel('10.2.0.0', '10.2.0.255') : sel(E));
  const base = {
    protocol: 'esp' as const,
    mode,
    keys: o.keys,
    esn: o.esn ?? false,
    replayWindow: o.replayWindow ?? 64,
    lifetime: o.lifetime ?? {},
    reqid: 7,
  };
  const we: SaSpec = { ...base, spi: 0x1000, direction: 'out', src: W, dst: E, encap: { srcPort: 4500, dstPort: 4500 }, localTs: [westNet], remoteTs: [eastNet] };
  const ew: SaSpec = { ...base, spi: 0x2000, direction: 'out', src: E, dst: W, encap: { srcPort: 4500, dstPort: 4500 }, localTs: [eastNet], remoteTs: [westNet] };
  await west.dp.addSa(we);
  await west.dp.addSa({ ...ew, direction: 'in' });
  await east.dp.addSa({ ...we, direction: 'in' });
  await east.dp.addSa(ew);
  const pol = (local: Selector, remote: Selector, direction: PolicySpec['direction'], src: string, dst: string): PolicySpec => ({
    direction, local, remote, mode, tunnelSrc: src, tunnelDst: dst, reqid: 7, protocol: 'esp', priority: 0,
  });
  await west.dp.addPolicy(pol(westNet, eastNet, 'out', W, E));
  await west.dp.addPolicy(pol(westNet, eastNet, 'in', E, W));
  await east.dp.addPolicy(pol(eastNet, westNet, 'out', E, W));
  await east.dp.addPolicy(pol(eastNet, westNet, 'in', W, E));
}

export function pair(): { west: Side; east: Side } {
  let west: Side | undefined;
  let east: Side | undefined;
  west = makeSide('west', () => east);
  east = makeSide('east', () => west);
  return { west, east };
}

/** A minimal IPv4 UDP packet (checksums zero; the dataplane does not check them in tunnel mode). */
export function udp4(src: string, dst: string, payloadLen: number, sport = 1234, dport = 5678): Uint8Array {
  const total = 28 + payloadLen;
  const p = new Uint8Array(total);
  p[0] = 0x45;
  p[2] = total >> 8;
  p[3] = total & 0xff;
  p[8] = 64;
  p[9] = 17;
  p.set(src.split('.').map(Number), 12);
  p.set(dst.split('.').map(Number), 16);
  p[20] = sport >> 8;
  p[21] = sport & 0xff;
  p[22] = dport >> 8;
  p[23] = dport & 0xff;
  p[24] = (8 + payloadLen) >> 8;
  p[25] = (8 + payloadLen) & 0xff;
  for (let i = 0; i < payloadLen; i++) p[28 + i] = (i * 7) & 0xff;
  return p;
}
