/**
 * Crash recovery (docs/xfrm.md "Ownership"): dump the SPD and SAD and remove
 * every entry whose reqid carries this instance's tag. Policies go first so
 * that no packet is sent in clear through a policy whose SA vanished.
 */
import type { XfrmChannel } from './channel.js';
import { kernelError } from './kernel-errors.js';
import type { ReqidTag } from './ownership.js';
import { XfrmAttr, XfrmMsg } from './xfrm-const.js';
import { findAttr } from './netlink.js';
import { readU32 } from './xfrm-sa.js';
import { buildDelPolicy, buildDump, buildSaIdRequest, decodeSaMessage } from './xfrm-messages.js';
import { decodePolicyMessage } from './xfrm-policy.js';
import type { UsersaId } from './xfrm-sa.js';

export async function removeTagged(ch: XfrmChannel, tag: ReqidTag): Promise<{ sas: number; policies: number }> {
  let policies = 0;
  let sas = 0;
  const pol = await ch.dump((seq) => buildDump(seq, XfrmMsg.GETPOLICY), 'GETPOLICY dump');
  for (const m of pol) {
    if (m.type !== XfrmMsg.NEWPOLICY) continue;
    const p = decodePolicyMessage(m.payload);
    if (!p.tmpls.some((t) => tag.owns(t.reqid))) continue;
    const m8 = findAttr(p.attrs, XfrmAttr.MARK);
    const mark = m8 !== undefined && m8.length >= 8 ? { value: readU32(m8, 'mark'), mask: readU32(m8.subarray(4), 'mark mask') } : undefined;
    const r = await ch.request((seq) => buildDelPolicy(seq, p.info.sel, p.info.dir, mark), 'DELPOLICY');
    if (r.kind === 'error' && r.error.errno !== 2) throw kernelError('DELPOLICY', 'leftover', r.error);
    if (r.kind === 'ack') policies++;
  }
  const sad = await ch.dump((seq) => buildDump(seq, XfrmMsg.GETSA), 'GETSA dump');
  for (const m of sad) {
    if (m.type !== XfrmMsg.NEWSA) continue;
    const s = decodeSaMessage(m.payload).info; // keys are not kept
    if (!tag.owns(s.reqid) || s.family === undefined) continue;
    const id: UsersaId = { daddr: s.id.daddr, spi: s.id.spi, family: s.family, proto: s.id.proto };
    const sa = decodeSaMessage(m.payload);
    const r = await ch.request((seq) => buildSaIdRequest(seq, XfrmMsg.DELSA, id, sa.mark), 'DELSA');
    if (r.kind === 'error' && r.error.errno !== 3 && r.error.errno !== 2) throw kernelError('DELSA', 'leftover', r.error);
    // kernel ACQUIRE placeholders (SPI 0) cannot be deleted by id; they expire (net.core.xfrm_acq_expires)
    if (r.kind === 'ack') sas++;
  }
  return { sas, policies };
}
