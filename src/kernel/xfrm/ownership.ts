/**
 * Which kernel state is Keyway's (docs/xfrm.md "Ownership").
 *
 * Every SA and every policy template Keyway installs carries a reqid whose
 * top octet is Keyway's tag (default 0x4b, "K"); the low 24 bits are the
 * engine's reqid (CHILD SA unique id). strongSwan and Libreswan allocate
 * reqids upward from small numbers, so the tagged range never collides with
 * them in practice. A reqid is the one field that:
 *   - SAs and policy templates both carry (ACQUIREs echo the template),
 *   - does not change how packets match (unlike XFRMA_MARK or if_id, which
 *     would make our policies ignore unmarked traffic).
 * Clean exits remove exactly what this instance recorded; at start, tagged
 * leftovers of a crashed Keyway are removed (other daemons' state is never
 * touched because its reqids are not tagged).
 */
import { KernelError } from '../../util/errors.js';

export const DEFAULT_REQID_TAG = 0x4b;
const LOW_BITS = 0xffffff;

export class ReqidTag {
  readonly tag: number;

  constructor(tag = DEFAULT_REQID_TAG) {
    if (!Number.isInteger(tag) || tag < 1 || tag > 0xff) throw new KernelError('KERNEL_CONFIG', `xfrm reqid tag must be 1..255, got ${tag}`);
    this.tag = tag;
  }

  /** engine reqid -> kernel reqid */
  toKernel(reqid: number): number {
    if (!Number.isInteger(reqid) || reqid < 0 || reqid > LOW_BITS) {
      throw new KernelError('KERNEL_REQID', `reqid ${reqid} does not fit the 24 bits Keyway tags in the kernel`);
    }
    return ((this.tag << 24) | reqid) >>> 0;
  }

  owns(kernelReqid: number): boolean {
    return kernelReqid >>> 24 === this.tag;
  }

  /** kernel reqid -> engine reqid, undefined when not ours */
  fromKernel(kernelReqid: number): number | undefined {
    return this.owns(kernelReqid) ? kernelReqid & LOW_BITS : undefined;
  }
}
