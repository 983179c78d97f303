/**
 * ESP-in-UDP capture and tshark decryption (LAB.md §7): dumpcap on a
 * namespace's interface (UDP 4500), then tshark with one `uat:esp_sa` line per
 * SA from the daemon's `<keylog>.esp_sa` file. Each ESP frame is reported with
 * its SPI, the inner addresses and UDP ports tshark found after decryption,
 * and tshark's ICV verdict when it checks one.
 */
import { startCapture, type Capture } from './capture.js';
import { runOk } from './exec.js';
import type { Host } from './topology.js';

export interface EspFrame {
  readonly frame: number;
  /** 8 hex digits */
  readonly spi: string;
  /** "src->dst" of the decrypted inner IPv4 header, '' if not decrypted */
  readonly inner: string;
  /** ports of the decrypted inner UDP header, undefined if none was decoded */
  readonly innerUdp: { readonly src: number; readonly dst: number } | undefined;
  /** tshark's authentication verdict, null when it did not check */
  readonly authentication: 'good' | 'bad' | null;
  readonly text: string;
}

export interface EspCapture extends Capture {
  decrypt(espSaLines: readonly string[]): Promise<EspFrame[]>;
}

/** Parse `tshark -V` output of ESP frames (exported for tests on saved output). */
export function parseTsharkEsp(out: string): EspFrame[] {
  const frames: EspFrame[] = [];
  for (const text of out.split(/^(?=Frame \d+:)/m)) {
    const num = /^Frame (\d+):/.exec(text);
    const spi = /ESP SPI: 0x([0-9a-f]{8})/i.exec(text);
    if (num?.[1] === undefined || spi?.[1] === undefined) continue;
    const srcs = [...text.matchAll(/^\s*Source Address: (\S+)/gm)].map((m) => m[1] ?? '');
    const dsts = [...text.matchAll(/^\s*Destination Address: (\S+)/gm)].map((m) => m[1] ?? '');
    const inner = srcs.length >= 2 && dsts.length >= 2 ? `${srcs[1] ?? ''}->${dsts[1] ?? ''}` : '';
    // the outer UDP (4500) comes first, the decrypted inner one second
    const udps = [...text.matchAll(/^User Datagram Protocol, Src Port: (\d+), Dst Port: (\d+)/gm)];
    const iu = udps[1];
    const innerUdp = iu?.[1] !== undefined && iu[2] !== undefined ? { src: Number(iu[1]), dst: Number(iu[2]) } : undefined;
    const auth = /Authentication Data[^\n]*\[(correct|incorrect)\]|\[Good: (True|False)\]/i.exec(text);
    const good = auth?.[1] === 'correct' || auth?.[2] === 'True';
    const bad = auth?.[1] === 'incorrect' || auth?.[2] === 'False';
    frames.push({ frame: Number(num[1]), spi: spi[1].toLowerCase(), inner, innerUdp, authentication: good ? 'good' : bad ? 'bad' : null, text });
  }
  return frames;
}

export async function startEspCapture(host: Host): Promise<EspCapture> {
  const cap = await startCapture(host, 'udp port 4500');
  return {
    ...cap,
    async decrypt(lines) {
      const args = ['tshark', '-n', '-r', cap.path, '-V', '-Y', 'esp', '-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE'];
      for (const l of lines) args.push('-o', `uat:esp_sa:${l}`);
      const r = await runOk(args, { timeoutMs: 30_000 });
      return parseTsharkEsp(r.stdout);
    },
  };
}
