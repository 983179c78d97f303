/**
 * tshark as an independent checker (LAB.md §7): capture IKE (UDP 500/4500)
 * on a namespace's veth with dumpcap, then dissect the capture with the
 * IKEv2 keys in tshark's `ikev2_decryption_table` UAT format
 *
 *     SPIi,SPIr,SK_ei,SK_er,"<encr name>",SK_ai,SK_ar,"<integ name>"
 *
 * (hex unquoted, names exactly as in tshark's list, e.g. "AES-CBC-128 [RFC3602]",
 * "AES-GCM-128 with 16 octet ICV [RFC5282]", "HMAC_SHA2_256_128 [RFC4868]",
 * "NONE [RFC4306]"). tshark 4.0 knows neither ChaCha20-Poly1305 nor AES-XCBC
 * for IKEv2, so only AES suites can be checked this way.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk, start, waitFor, sleep } from './exec.js';
import type { Host } from './topology.js';

export interface Capture {
  readonly path: string;
  /** Stop dumpcap and wait until the file is complete. */
  stop(): Promise<void>;
  /** Remove the temp dir (unless KEYWAY_KEEP_LAB=1). */
  remove(): void;
}

/** Capture on `host`'s veth; `filter` is a capture filter (default: all IKE, ports 500 and 4500). */
export async function startCapture(host: Host, filter = 'udp port 500 or udp port 4500'): Promise<Capture> {
  const dir = mkdtempSync(join(tmpdir(), 'kw-cap-'));
  const path = join(dir, 'ike.pcapng');
  const proc = start(host.exec(['dumpcap', '-i', host.dev, '-f', filter, '-w', path]));
  await waitFor('dumpcap to start capturing', () => {
    if (proc.child.exitCode !== null) throw new Error(`dumpcap exited: ${proc.output()}`);
    return /Capturing on/.test(proc.output()) && existsSync(path);
  }, 10_000, 50);
  return {
    path,
    async stop() {
      // give the last datagrams a moment to reach the ring buffer
      await sleep(200);
      await proc.stop(5_000);
    },
    remove() {
      if (process.env['KEYWAY_KEEP_LAB'] !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One IKE message as tshark dissected it. */
export interface IkeFrame {
  readonly frame: number;
  /** e.g. "IKE_SA_INIT", "IKE_AUTH", "INFORMATIONAL" */
  readonly exchange: string;
  readonly response: boolean;
  readonly spiI: string;
  readonly spiR: string;
  /** the message carries an Encrypted (SK) payload */
  readonly encrypted: boolean;
  /** tshark showed "Decrypted Data" for it */
  readonly decrypted: boolean;
  /**
   * Integrity/ICV verdict shown by tshark: 'correct', 'incorrect', or null
   * when tshark printed none (unencrypted message, or no verdict for AEAD).
   */
  readonly integrity: 'correct' | 'incorrect' | null;
  /** the verbose dissection of this frame, for failure messages */
  readonly text: string;
}

/** Parse `tshark -V` output into IKE frames (exported for unit tests on fixtures). */
export function parseTsharkIke(out: string): IkeFrame[] {
  const frames: IkeFrame[] = [];
  const chunks = out.split(/^(?=Frame \d+:)/m);
  for (const text of chunks) {
    const num = /^Frame (\d+):/.exec(text);
    if (num === null || num[1] === undefined) continue;
    const ex = /^\s*Exchange type: ([A-Z0-9_]+)/m.exec(text);
    if (ex === null || ex[1] === undefined) continue;
    // same line for HMAC suites and for the AEAD ICV (checked after decryption)
    const integ = /Integrity Checksum Data:.*?\[(correct|incorrect)/m.exec(text);
    frames.push({
      frame: Number(num[1]),
      exchange: ex[1],
      response: /^\s*\.\.1\. \.\.\.\. = Response: Response/m.test(text),
      spiI: /^\s*Initiator SPI: ([0-9a-f]+)/m.exec(text)?.[1] ?? '',
      spiR: /^\s*Responder SPI: ([0-9a-f]+)/m.exec(text)?.[1] ?? '',
      encrypted: /Payload: Encrypted and Authenticated/.test(text),
      decrypted: /Decrypted Data/.test(text),
      integrity: integ?.[1] === 'correct' ? 'correct' : integ?.[1] === 'incorrect' ? 'incorrect' : null,
      text,
    });
  }
  return frames;
}

/**
 * Dissect a capture with the given decryption-table lines (one per IKE SA).
 * Port 4500 needs no `-d`: tshark's udpencap dissector strips the non-ESP
 * marker and hands IKE on (forcing `-d udp.port==4500,isakmp` breaks that).
 */
export async function dissectIke(pcap: string, uatLines: readonly string[]): Promise<IkeFrame[]> {
  const args = ['tshark', '-n', '-r', pcap, '-V', '-Y', 'isakmp'];
  for (const l of uatLines) args.push('-o', `uat:ikev2_decryption_table:${l}`);
  const r = await runOk(args, { timeoutMs: 30_000 });
  return parseTsharkIke(r.stdout);
}
