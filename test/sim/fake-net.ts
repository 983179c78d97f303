/**
 * A fake network between in-process engines: datagrams queue up and the test
 * delivers, drops, duplicates or reorders them, or rewrites addresses (NAT).
 */
import type { Datagram, Transport } from '../../src/ike/ports.js';

export interface NetNode {
  receive(d: Datagram): void;
}

export type Verdict = 'deliver' | 'drop' | 'duplicate';

export class FakeNet {
  readonly queue: Datagram[] = [];
  readonly log: { readonly d: Datagram; readonly verdict: Verdict }[] = [];
  private readonly nodes = new Map<string, NetNode>();
  /** decides what happens to each datagram; default deliver */
  filter: (d: Datagram, index: number) => Verdict = () => 'deliver';
  private sent = 0;

  attach(address: string, node: NetNode): void {
    this.nodes.set(address, node);
  }

  transport(): Transport {
    return { send: (d: Datagram) => this.queue.push({ ...d, bytes: new Uint8Array(d.bytes) }) };
  }

  /** Delivers the first queued datagram; returns false if the queue is empty. */
  deliverOne(): boolean {
    const d = this.queue.shift();
    if (d === undefined) return false;
    const verdict = this.filter(d, this.sent++);
    this.log.push({ d, verdict });
    if (verdict === 'drop') return true;
    const node = this.nodes.get(d.remote.address);
    if (node === undefined) return true;
    const rx: Datagram = { local: d.remote, remote: d.local, bytes: d.bytes };
    node.receive(rx);
    if (verdict === 'duplicate') node.receive(rx);
    return true;
  }

  /** Reverses the order of the queued datagrams (reordering). */
  reorder(): void {
    this.queue.reverse();
  }
}

/** Lets promise chains (mailboxes, memory dataplane) run to completion. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
