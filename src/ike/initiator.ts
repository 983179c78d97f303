/**
 * Starting IKE SAs and CHILD SAs as initiator (RFC 7296 §1.2, §1.3.1):
 * IKE_SA_INIT, IKE_AUTH with the first CHILD SA, then CREATE_CHILD_SA for
 * the rest. Also used for reauthentication (make-before-break).
 */
import type { ChildConfig, ConnectionConfig } from '../config/model.js';
import { parseIp } from '../policy/ip.js';
import type { EngineContext } from './context.js';
import type { InitiateResult } from './engine-api.js';
import { IkeSa } from './ike-sa.js';
import { CreateChildInitiator } from './v2/create-child.js';
import { IkeAuthInitiator } from './v2/ike-auth.js';
import { IkeInitInitiator } from './v2/ike-init-initiator.js';

function chooseLocalAddress(ctx: EngineContext, conn: ConnectionConfig, remoteFamily: 4 | 6): string | undefined {
  const literal = (a: string): boolean => {
    const ip = parseIp(a);
    return ip !== undefined && ip.family === remoteFamily && ip.value !== 0n;
  };
  return conn.localAddrs.find(literal) ?? ctx.config.daemon.listen.find(literal);
}

export function establishedSaFor(ctx: EngineContext, conn: ConnectionConfig): IkeSa | undefined {
  return ctx.table.all().find((sa) => sa.conn?.name === conn.name && sa.state === 'established' && !sa.reauthenticating);
}

/** One more CHILD SA on an established IKE SA. */
export function createChild(sa: IkeSa, cfg: ChildConfig): Promise<InitiateResult> {
  return new Promise((resolve) => {
    void sa.run('create child', async () => {
      sa.enqueue(
        new CreateChildInitiator(sa, cfg, (r) =>
          resolve(r.ok ? { ok: true, ikeSaId: sa.uniqueId, childSaId: r.child.uniqueId } : { ok: false, ikeSaId: sa.uniqueId, error: r.reason }),
        ),
      );
      await sa.kick();
    });
  });
}

/** A new IKE SA to the connection's peer with the given children. */
export function initiateNew(ctx: EngineContext, conn: ConnectionConfig, children: readonly ChildConfig[]): Promise<InitiateResult> {
  const remoteAddress = conn.remoteAddrs.find((a) => parseIp(a) !== undefined);
  if (remoteAddress === undefined) {
    return Promise.resolve({ ok: false, error: `connection ${conn.name} has no literal remote address to initiate to (remote_addrs)` });
  }
  const family = parseIp(remoteAddress)?.family ?? 4;
  const localAddress = chooseLocalAddress(ctx, conn, family);
  if (localAddress === undefined) {
    return Promise.resolve({ ok: false, error: `connection ${conn.name}: set local_addrs (or daemon.listen) to a concrete IPv${family} address` });
  }
  let spiI = ctx.rng.bytes(8);
  while (spiI.every((b) => b === 0) || ctx.table.get(spiI) !== undefined) spiI = ctx.rng.bytes(8);
  const sa = new IkeSa(ctx, {
    initiator: true,
    spiI,
    spiR: new Uint8Array(8),
    local: { address: localAddress, port: ctx.config.daemon.port },
    remote: { address: remoteAddress, port: conn.remotePort },
    conn,
  });
  ctx.table.add(sa);
  ctx.counters.inc('ike.initiated');
  ctx.log('info', 'ike.initiate', { ...sa.logFields, children: children.map((c) => c.name) });
  const [first, ...rest] = children;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: InitiateResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    sa.onClose((reason) => done({ ok: false, ikeSaId: sa.uniqueId, error: reason }));
    const auth = new IkeAuthInitiator(sa, conn, first, (r) => {
      if (!r.ok) {
        done({ ok: false, ikeSaId: sa.uniqueId, error: r.reason ?? 'IKE_AUTH failed' });
        return;
      }
      if (r.child !== undefined && !r.child.ok) done({ ok: false, ikeSaId: sa.uniqueId, error: r.child.reason });
      // Remaining children go through CREATE_CHILD_SA on the new IKE SA (§1.3.1).
      let pending = rest.length;
      let firstChildId = r.child !== undefined && r.child.ok ? r.child.child.uniqueId : undefined;
      const finish = (): void => done({ ok: true, ikeSaId: sa.uniqueId, ...(firstChildId !== undefined ? { childSaId: firstChildId } : {}) });
      if (pending === 0) finish();
      for (const cfg of rest) {
        sa.enqueue(
          new CreateChildInitiator(sa, cfg, (cr) => {
            if (cr.ok) firstChildId ??= cr.child.uniqueId;
            if (--pending === 0) finish();
          }),
        );
      }
    });
    const init = new IkeInitInitiator(sa, conn, (ok) => {
      if (ok) sa.enqueue(auth);
    });
    sa.transition('connecting');
    sa.enqueue(init);
    void sa.run('initiate', () => sa.kick());
  });
}
