/**
 * IKEv1: Keyway (dataplane = xfrm) in `west` <-> Libreswan 4.10 (pluto,
 * XFRM) in `east`, inside User-mode Linux (real kernel ESP on both sides),
 * Main Mode + Quick Mode with a PSK (RFC 2409 §5.4, §5.5), `ikev2 = no`:
 *   net  tunnel, AES-CBC-128 + HMAC-SHA-256, no PFS, 10.1.0.0/24 <-> 10.2.0.0/24
 *   pfs  tunnel, AES-CBC-256 + HMAC-SHA-1, PFS MODP-2048, 10.1.1.0/24 <-> 10.2.1.0/24
 * First Keyway initiates (Main Mode, then two Quick Modes over the same
 * ISAKMP SA), pings cross both tunnels, the SPIs Keyway reports are the ones
 * in east's kernel, and Keyway's Delete empties east's kernel. Then Libreswan
 * initiates (Keyway responds to Main Mode and Quick Mode), with the same
 * checks. Finally both stop and neither kernel keeps anything.
 */
import { createTopology, EAST_ADDR, WEST_ADDR, type Topology } from '../../interop/lab/topology.js';
import { runOk, waitFor } from '../../interop/lab/exec.js';
import type { IkeSaInfo } from '../../../src/ike/info.js';
import { startKw, type Kw } from '../lab/keyway-xfrm.js';
import { startPluto, type Pluto } from '../lab/libreswan.js';
import { ping, xfrm } from './net.js';
import type { Recorder } from './record.js';
import { guestConf } from './conf.js';

const PSK = 'keyway-uml-libreswan-psk-0123456789';

function keywayConf(): string {
  return guestConf({
    self: 'west',
    version: 1,
    localAddr: WEST_ADDR,
    remoteAddr: EAST_ADDR,
    proposals: 'aes128-sha256-modp2048',
    psk: PSK,
    children: [
      { name: 'net', localTs: '10.1.0.0/24', remoteTs: '10.2.0.0/24', espProposals: 'aes128-sha256' },
      { name: 'pfs', localTs: '10.1.1.0/24', remoteTs: '10.2.1.0/24', espProposals: 'aes256-sha1-modp2048' },
    ],
  });
}

/** ipsec.conf for pluto: one conn per Keyway child, sharing phase 1 parameters. */
function plutoConf(): string {
  const conn = (name: string, lsub: string, rsub: string, esp: string, pfs: boolean): string[] => [
    `conn ${name}`,
    '\tikev2=no',
    '\tauthby=secret',
    '\ttype=tunnel',
    `\tleft=${EAST_ADDR}`,
    '\tleftid=@east',
    `\tleftsubnet=${lsub}`,
    // the lab routes itself: no updown script (LAB.md §3)
    '\tleftupdown=/bin/true',
    `\tright=${WEST_ADDR}`,
    '\trightid=@west',
    `\trightsubnet=${rsub}`,
    '\tike=aes128-sha2_256;modp2048',
    `\tesp=${esp}`,
    `\tpfs=${pfs ? 'yes' : 'no'}`,
    '\tencapsulation=no',
    '\tauto=add',
    '',
  ];
  return [
    'config setup',
    `\tlisten=${EAST_ADDR}`,
    '\tprotostack=xfrm',
    '\tdnssec-enable=no',
    // Libreswan 4.10 refuses IKEv1 connections unless the global policy allows them
    '\tikev1-policy=accept',
    '',
    ...conn('net', '10.2.0.0/24', '10.1.0.0/24', 'aes128-sha2_256', false),
    ...conn('pfs', '10.2.1.0/24', '10.1.1.0/24', 'aes256-sha1;modp2048', true),
  ].join('\n');
}

type Child = IkeSaInfo['children'][number];

function installed(sas: readonly IkeSaInfo[], name: string): { sa: IkeSaInfo; child: Child } | undefined {
  for (const sa of sas) for (const c of sa.children) if (c.name === name && c.state === 'installed') return { sa, child: c };
  return undefined;
}

/** ESP states in a namespace's kernel as "src>dst spi" (hex without 0x, 8 digits). */
async function espStates(ns: string): Promise<string[]> {
  const out = (await xfrm(ns)).state;
  const res: string[] = [];
  for (const m of out.matchAll(/src (\S+) dst (\S+)\s+proto esp spi 0x([0-9a-f]+)/g)) res.push(`${m[1] ?? ''}>${m[2] ?? ''} ${(m[3] ?? '').padStart(8, '0')}`);
  return res.sort();
}

/** The kernel states east must hold for Keyway's child (Keyway's out = east's in). */
function expectedEast(c: Child): string[] {
  const hex = (s: string): string => s.toLowerCase().replace(/^0x/, '').padStart(8, '0');
  return [`${EAST_ADDR}>${WEST_ADDR} ${hex(c.spiIn)}`, `${WEST_ADDR}>${EAST_ADDR} ${hex(c.spiOut)}`].sort();
}

/** Both tunnels carry pings both ways; records the SPIs seen on both sides. */
async function checkTunnels(k: Kw, topo: Topology, d: Record<string, unknown>, who: string): Promise<void> {
  const { west, east } = topo;
  const sas = await k.listSas();
  const net = installed(sas, 'net');
  const pfs = installed(sas, 'pfs');
  d['keyway'] = sas.map((s) => ({ version: s.version, mode: s.mode, initiator: s.initiator, children: s.children.map((c) => ({ name: c.name, state: c.state, spiIn: c.spiIn, spiOut: c.spiOut, alg: c.algorithms })) }));
  if (net === undefined || pfs === undefined) throw new Error(`${who}: Keyway has not both children installed: ${JSON.stringify(d['keyway'])}`);
  d['version'] = net.sa.version;
  d['phase1Mode'] = net.sa.mode;
  d['sameIsakmpSa'] = net.sa.uniqueId === pfs.sa.uniqueId;
  d['pingNetWestToEast'] = await ping(west.ns, '10.1.0.1', '10.2.0.1');
  d['pingNetEastToWest'] = await ping(east.ns, '10.2.0.1', '10.1.0.1');
  d['pingPfsWestToEast'] = await ping(west.ns, '10.1.1.1', '10.2.1.1');
  d['pingPfsEastToWest'] = await ping(east.ns, '10.2.1.1', '10.1.1.1');
  const eastStates = await espStates(east.ns);
  d['eastKernelEsp'] = eastStates;
  d['expectedEastEsp'] = [...expectedEast(net.child), ...expectedEast(pfs.child)].sort();
  d['westKernelEsp'] = await espStates(west.ns);
  const after = await k.listSas();
  const n2 = installed(after, 'net')?.child;
  const p2 = installed(after, 'pfs')?.child;
  d['counters'] = { net: n2 && { packetsIn: n2.packetsIn, packetsOut: n2.packetsOut }, pfs: p2 && { packetsIn: p2.packetsIn, packetsOut: p2.packetsOut } };
}

export async function kwToLibreswan(rec: Recorder): Promise<void> {
  let topo: Topology | undefined;
  let pluto: Pluto | undefined;
  let kw: Kw | undefined;
  try {
    await rec.scenario('libreswan setup: namespaces, Libreswan 4.10 (pluto, XFRM), Keyway (xfrm), IKEv1', async (d) => {
      topo = await createTopology();
      const { west, east } = topo;
      await runOk(['ip', '-n', west.ns, 'addr', 'add', '10.1.1.1/24', 'dev', west.dev]);
      await runOk(['ip', '-n', east.ns, 'addr', 'add', '10.2.1.1/24', 'dev', east.dev]);
      for (const [h, peer, nets] of [[west, EAST_ADDR, ['10.2.0.0/24', '10.2.1.0/24']], [east, WEST_ADDR, ['10.1.0.0/24', '10.1.1.0/24']]] as const) {
        for (const n of nets) await runOk(['ip', '-n', h.ns, 'route', 'add', n, 'via', peer]);
      }
      pluto = await startPluto({ ns: east.ns, conf: plutoConf(), secrets: `@east @west : PSK "${PSK}"\n`, startTimeoutMs: 120_000 });
      kw = await startKw({ ns: west.ns, address: WEST_ADDR, conf: keywayConf() });
      const st = await pluto.status();
      d['plutoConns'] = [...new Set([...st.matchAll(/"([^"]+)":/g)].map((m) => m[1]))].sort();
    });
    if (topo === undefined || kw === undefined || pluto === undefined) return;
    const t = topo;
    const k = kw;
    const p = pluto;

    await rec.scenario('libreswan: Keyway initiates Main Mode + Quick Mode (and a PFS Quick Mode), kernel ESP, ping both ways', async (d) => {
      for (const child of ['net', 'pfs']) {
        const r = await k.cli(['initiate', 'gw', '--child', child], 120_000);
        d[`initiate-${child}`] = (r.stdout + r.stderr).slice(-400);
        if (r.code !== 0) throw new Error(`initiate ${child} failed: ${d[`initiate-${child}`] as string}\n${k.output().slice(-3000)}\n--- pluto ---\n${p.output().slice(-3000)}`);
      }
      await checkTunnels(k, t, d, 'Keyway initiator');
      d['plutoStatus'] = (await p.status()).split('\n').filter((l) => /STATE_|esp\./.test(l)).map((l) => l.replace(/^\d+\s+/, '').slice(0, 200));
      // Keyway's Delete (IPsec SAs, then the ISAKMP SA) empties east's kernel
      const ike = installed(await k.listSas(), 'net')?.sa.uniqueId;
      const r = await k.cli(['terminate', '--ike', String(ike)], 60_000);
      d['terminate'] = (r.stdout + r.stderr).slice(-300);
      await waitFor('east kernel ESP states gone after the Delete', async () => (await espStates(t.east.ns)).length === 0, 30_000, 250).catch(() => undefined);
      d['eastKernelEspAfterDelete'] = await espStates(t.east.ns);
      d['westKernelEspAfterDelete'] = await espStates(t.west.ns);
      if (r.code !== 0) throw new Error(`terminate failed: ${d['terminate'] as string}`);
    });

    await rec.scenario('libreswan: Libreswan initiates, Keyway responds to Main Mode + Quick Mode (and PFS), ping both ways', async (d) => {
      for (const conn of ['net', 'pfs']) {
        const r = await p.whack(['--name', conn, '--initiate'], 120_000);
        const out = r.stdout + r.stderr;
        d[`whack-${conn}`] = out.split('\n').filter((l) => l.trim() !== '').slice(-10);
        // the first conn starts a new ISAKMP SA (Keyway answers Main Mode), the second reuses it
        d[`plutoMainMode-${conn}`] = out.includes('initiating IKEv1 Main Mode');
        if (r.code !== 0) throw new Error(`whack --initiate ${conn} failed (${String(r.code)}): ${(r.stdout + r.stderr).slice(-1500)}\n--- keyway ---\n${k.output().slice(-3000)}`);
      }
      await waitFor('Keyway has both children', async () => {
        const sas = await k.listSas();
        return installed(sas, 'net') !== undefined && installed(sas, 'pfs') !== undefined;
      }, 60_000, 250);
      await checkTunnels(k, t, d, 'Keyway responder');
    });

    await rec.scenario('libreswan exit: after both stop, neither kernel keeps an ESP state', async (d) => {
      await k.stop();
      kw = undefined;
      const w = await xfrm(t.west.ns);
      d['westState'] = w.state;
      d['westPolicy'] = w.policy;
      await p.stop();
      pluto = undefined;
    });
  } finally {
    await kw?.stop().catch(() => undefined);
    await pluto?.stop().catch(() => undefined);
    await topo?.destroy().catch(() => undefined);
  }
}
