/**
 * Generates swanctl.conf text (strongSwan's `settings` syntax) for a simple
 * PSK site-to-site connection. The same text serves strongSwan and Keyway,
 * whose config is swanctl.conf plus a `daemon { }` section.
 */

export interface ChildSpec {
  readonly name: string;
  readonly localTs: string;
  readonly remoteTs: string;
  /** e.g. "aes128gcm16" */
  readonly espProposals: string;
  /** 'none' (default) | 'start' | 'trap' */
  readonly startAction?: string;
  /** 'tunnel' (default) | 'transport' */
  readonly mode?: 'tunnel' | 'transport';
  /** extra `key = value` lines in the child section (e.g. rekey_time) */
  readonly extra?: Readonly<Record<string, string>>;
}

export interface ConnSpec {
  readonly name: string;
  readonly localAddr: string;
  readonly remoteAddr: string;
  readonly localId: string;
  readonly remoteId: string;
  /** IKE proposals, e.g. "aes128gcm16-prfsha256-x25519" */
  readonly proposals: string;
  readonly children: readonly ChildSpec[];
  /** Extra `key = value` lines at connection level (strongSwan only options). */
  readonly extra?: Readonly<Record<string, string>>;
  /** IKE version (swanctl `version`); default 2 */
  readonly version?: 0 | 1 | 2;
  /** IKEv1 Aggressive Mode (swanctl `aggressive = yes`); written only when set */
  readonly aggressive?: boolean;
}

export interface PskSpec {
  /** one secret section per identity keeps the syntax minimal (one `id`) */
  readonly ids: readonly string[];
  readonly secret: string;
}

function indent(lines: readonly string[], n: number): string[] {
  const pad = ' '.repeat(n);
  return lines.map((l) => pad + l);
}

function connection(c: ConnSpec): string[] {
  const children = c.children.flatMap((ch) => [
    `${ch.name} {`,
    ...indent(
      [
        `local_ts = ${ch.localTs}`,
        `remote_ts = ${ch.remoteTs}`,
        `esp_proposals = ${ch.espProposals}`,
        `mode = ${ch.mode ?? 'tunnel'}`,
        `start_action = ${ch.startAction ?? 'none'}`,
        ...Object.entries(ch.extra ?? {}).map(([k, v]) => `${k} = ${v}`),
      ],
      2,
    ),
    '}',
  ]);
  const extra = Object.entries(c.extra ?? {}).map(([k, v]) => `${k} = ${v}`);
  return [
    `${c.name} {`,
    ...indent(
      [
        `version = ${c.version ?? 2}`,
        ...(c.aggressive === undefined ? [] : [`aggressive = ${c.aggressive ? 'yes' : 'no'}`]),
        `local_addrs = ${c.localAddr}`,
        `remote_addrs = ${c.remoteAddr}`,
        `proposals = ${c.proposals}`,
        ...extra,
        'local {',
        '  auth = psk',
        `  id = ${c.localId}`,
        '}',
        'remote {',
        '  auth = psk',
        `  id = ${c.remoteId}`,
        '}',
        'children {',
        ...indent(children, 2),
        '}',
      ],
      2,
    ),
    '}',
  ];
}

/** The `connections { } secrets { }` part of a swanctl.conf. */
export function swanctlConf(conns: readonly ConnSpec[], psks: readonly PskSpec[]): string {
  let n = 0;
  const secrets = psks.flatMap((p) =>
    p.ids.map((id) => {
      n += 1;
      // swanctl.conf quotes strings with "; the lab's PSKs never contain one
      return [`ike-${n} {`, `  id = ${id}`, `  secret = "${p.secret}"`, '}'];
    }),
  );
  return [
    'connections {',
    ...indent(conns.flatMap(connection), 2),
    '}',
    'secrets {',
    ...indent(secrets.flat(), 2),
    '}',
    '',
  ].join('\n');
}
