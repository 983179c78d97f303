import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { repoPath } from '../../helpers/paths.js';
import { loadConfigText } from '../../../src/config/load.js';
import type { ConnectionConfig, KeywayConfig } from '../../../src/config/model.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const b = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

function ok(text: string): KeywayConfig {
  const r = loadConfigText(text, 'v.conf');
  assert.deepEqual(r.errors.map((e) => e.message), []);
  assert.ok(r.config);
  return r.config;
}
function errors(text: string): string[] {
  const r = loadConfigText(text, 'v.conf');
  assert.equal(r.config, undefined, 'no config when there are errors');
  assert.ok(r.errors.length > 0);
  return r.errors.map((e) => e.message);
}
const conn = (body: string, extra = ''): string =>
  `connections {\n  c {\n    local {\n      auth = psk\n    }\n    remote {\n      auth = psk\n    }\n${body}\n  }\n}\nsecrets {\n  ike-1 {\n    secret = 0x00112233445566778899\n  }\n}\n${extra}`;
const first = (cfg: KeywayConfig): ConnectionConfig => {
  const c = cfg.connections[0];
  assert.ok(c);
  return c;
};

describe('validateConfig: full sample', () => {
  test('site-a.conf gives exactly the expected model', () => {
    const text = readFileSync(repoPath('test/fixtures/config/site-a.conf'), 'utf8');
    const r = loadConfigText(text, 'site-a.conf');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    assert.ok(r.config);
    const cfg = r.config;
    assert.equal(cfg.file, 'site-a.conf');
    assert.deepEqual(cfg.daemon, {
      listen: ['192.0.2.1'],
      port: 500,
      natPort: 4500,
      controlSocket: '/run/keyway/keyway.sock',
      dataplane: 'memory',
      logLevel: 'debug',
      cookieThreshold: 10,
      halfOpenLimit: 1000,
      retransmit: { timeout: 2.5, base: 1.8, tries: 5 },
      halfOpenTimeout: 30,
      natKeepalive: 20,
      modpExponent: 'short',
    });
    assert.deepEqual(cfg.secrets, [
      {
        ids: [
          { text: 'a.example.com', any: false, type: 2, data: ascii('a.example.com') },
          { text: 'b.example.com', any: false, type: 2, data: ascii('b.example.com') },
        ],
        secret: ascii('v3ry-l0ng "quoted" secret'),
        name: 'ike-b',
        line: 39,
      },
    ]);
    const anyPorts = { protocol: 0, startPort: 0, endPort: 65535 };
    const expected: ConnectionConfig = {
      name: 'site-b',
      version: 2,
      localAddrs: ['192.0.2.1'],
      remoteAddrs: ['198.51.100.1'],
      localPort: 500,
      remotePort: 500,
      proposals: [
        { text: 'aes256gcm16-prfsha256-x25519', encr: [{ id: 20, keyBits: 256 }], prf: [5], integ: [], ke: [31], esn: [] },
        { text: 'aes256-sha256-modp3072', encr: [{ id: 12, keyBits: 256 }], prf: [5], integ: [12], ke: [15], esn: [] },
      ],
      local: [{ method: 'psk', id: { text: '@a.example.com', any: false, type: 2, data: ascii('a.example.com') } }],
      remote: [{ method: 'psk', id: { text: '@b.example.com', any: false, type: 2, data: ascii('b.example.com') } }],
      children: [
        {
          name: 'net',
          localTs: [{ text: '10.1.0.0/16', dynamic: false, family: 4, start: b('0a010000'), end: b('0a01ffff'), ...anyPorts }],
          remoteTs: [
            { text: '10.2.0.0/16', dynamic: false, family: 4, start: b('0a020000'), end: b('0a02ffff'), ...anyPorts },
            { text: '10.3.0.1-10.3.0.9[tcp/443]', dynamic: false, family: 4, start: b('0a030001'), end: b('0a030009'), protocol: 6, startPort: 443, endPort: 443 },
          ],
          espProposals: [{ text: 'aes128gcm16-x25519', encr: [{ id: 20, keyBits: 128 }], prf: [], integ: [], ke: [31], esn: [0] }],
          mode: 'tunnel',
          startAction: 'start',
          closeAction: 'none',
          dpdAction: 'clear',
          rekeyTime: 1800,
          lifeTime: 1980,
          randTime: 180,
          rekeyBytes: 0,
          lifeBytes: 2 * 1024 ** 3,
          randBytes: 0,
          rekeyPackets: 0,
          lifePackets: 0,
          randPackets: 0,
          replayWindow: 64,
          line: 26,
        },
      ],
      encap: false,
      mobike: true,
      fragmentation: 'yes',
      dpdDelay: 30,
      dpdTimeout: 0,
      rekeyTime: 8 * 3600,
      reauthTime: 0,
      overTime: 2880,
      randTime: 2880,
      keyingtries: 1,
      unique: 'no',
      sendCertreq: true,
      line: 10,
    };
    assert.deepEqual(cfg.connections, [expected]);
  });

  test('site-b.conf (hex secret) loads and matches the same PSK', () => {
    const a = loadConfigText(readFileSync(repoPath('test/fixtures/config/site-a.conf'), 'utf8'), 'a');
    const bb = loadConfigText(readFileSync(repoPath('test/fixtures/config/site-b.conf'), 'utf8'), 'b');
    assert.deepEqual(bb.errors, []);
    assert.deepEqual(bb.config?.secrets[0]?.secret, a.config?.secrets[0]?.secret);
  });

  test('the examples in docs/config.md load without errors or warnings', () => {
    const md = readFileSync(repoPath('docs/config.md'), 'utf8');
    // plain fences only: ```conf blocks name key files (loaded by secrets-keys.test.ts)
    const blocks = [...md.matchAll(/^```([a-z]*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === '').map((m) => m[2] ?? '').filter((t) => t.includes('connections {'));
    assert.equal(blocks.length, 2);
    for (const text of blocks) {
      const r = loadConfigText(text, 'docs/config.md');
      assert.deepEqual(r.errors.map((e) => e.message), []);
      assert.deepEqual(r.warnings, []);
      assert.equal(r.config?.connections.length, 1);
    }
  });

  test('empty file gives daemon defaults and nothing else', () => {
    const cfg = ok('');
    assert.deepEqual(cfg.daemon.listen, ['0.0.0.0', '::']);
    assert.equal(cfg.daemon.controlSocket, '/run/keyway/keyway.sock');
    assert.equal(cfg.daemon.keyLog, undefined);
    assert.deepEqual(cfg.connections, []);
  });
});

describe('validateConfig: defaults', () => {
  test('connection and child defaults (swanctl.conf(5))', () => {
    const c = first(ok(conn('    children {\n      x {\n      }\n    }')));
    assert.equal(c.version, 0);
    assert.deepEqual([c.localAddrs, c.remoteAddrs], [['%any'], ['%any']]);
    assert.deepEqual([c.localPort, c.remotePort], [500, 500]);
    assert.deepEqual([c.rekeyTime, c.reauthTime, c.overTime, c.randTime], [14400, 0, 1440, 1440]);
    assert.deepEqual([c.dpdDelay, c.keyingtries, c.unique, c.sendCertreq, c.mobike, c.encap], [0, 1, 'no', true, true, false]);
    assert.equal(c.proposals.length, 2);
    assert.equal(c.local[0]?.id, undefined);
    const ch = c.children[0];
    assert.ok(ch);
    assert.deepEqual([ch.rekeyTime, ch.lifeTime, ch.randTime], [3600, 3960, 360]);
    assert.deepEqual([ch.mode, ch.startAction, ch.closeAction, ch.dpdAction, ch.replayWindow], ['tunnel', 'none', 'none', 'clear', 64]);
    assert.equal(ch.localTs[0]?.dynamic, true);
    assert.equal(ch.remoteTs[0]?.dynamic, true);
    assert.equal(ch.espProposals.length, 2);
  });

  test('durations, sizes, packets', () => {
    const c = first(ok(conn('    rekey_time = 1d\n    reauth_time = 90m\n    over_time = 10\n    children {\n      x {\n        rekey_time = 45s\n        rekey_bytes = 500M\n        life_bytes = 1g\n        rekey_packets = 1000\n        rand_packets = 5\n      }\n    }')));
    assert.deepEqual([c.rekeyTime, c.reauthTime, c.overTime, c.randTime], [86400, 5400, 10, 10]);
    const ch = c.children[0];
    assert.ok(ch);
    assert.deepEqual([ch.rekeyTime, ch.lifeTime, ch.randTime], [45, 49, 4]);
    assert.deepEqual([ch.rekeyBytes, ch.lifeBytes, ch.randBytes], [500 * 1024 * 1024, 1024 ** 3, 1024 ** 3 - 500 * 1024 * 1024]);
    assert.deepEqual([ch.rekeyPackets, ch.lifePackets, ch.randPackets], [1000, 1100, 5]);
  });

  test('strongSwan 5.9 action names map to the model', () => {
    const ch = first(ok(conn('    remote_addrs = 192.0.2.9\n    children {\n      x {\n        close_action = hold\n        dpd_action = hold\n        start_action = route\n      }\n    }'))).children[0];
    assert.deepEqual([ch?.closeAction, ch?.dpdAction, ch?.startAction], ['trap', 'trap', 'trap']);
  });
});

describe('validateConfig: daemon', () => {
  test('every daemon key', () => {
    const d = ok('daemon {\n  listen = 127.0.0.1, ::1\n  port = 1500\n  nat_port = 14500\n  control_socket = /tmp/k.sock\n  dataplane = xfrm\n  log_level = trace\n  keylog = /tmp/keys.log\n  cookie_threshold = 0\n  half_open_limit = 50\n  half_open_timeout = 1m\n  nat_keepalive = 15s\n  retransmit_timeout = 0.5\n  retransmit_base = 2\n  retransmit_tries = 0\n  modp_exponent = full\n}\n').daemon;
    assert.deepEqual(d, {
      listen: ['127.0.0.1', '::1'],
      port: 1500,
      natPort: 14500,
      controlSocket: '/tmp/k.sock',
      dataplane: 'xfrm',
      logLevel: 'trace',
      keyLog: '/tmp/keys.log',
      cookieThreshold: 0,
      halfOpenLimit: 50,
      retransmit: { timeout: 0.5, base: 2, tries: 0 },
      halfOpenTimeout: 60,
      natKeepalive: 15,
      modpExponent: 'full',
    });
  });
  test('bad daemon values', () => {
    const msgs = errors('daemon {\n  listen = 0.0.0.0, eth0\n  control_socket = run/k.sock\n  retransmit_base = 0.5\n  half_open_limit = 0\n}\n');
    assert.equal(msgs.length, 4);
    assert.match(msgs[0] ?? '', /^v\.conf:2:21: invalid address 'eth0'/);
    assert.match(msgs[1] ?? '', /absolute path/);
    assert.match(msgs[2] ?? '', /a number from 1 to 10/);
    assert.match(msgs[3] ?? '', /an integer >= 1/);
  });
});

describe('validateConfig: errors', () => {
  test('unknown key: error with line, column and valid keys', () => {
    const r = loadConfigText(conn('    remote_adrs = 192.0.2.1'), 'v.conf');
    assert.equal(r.config, undefined);
    assert.equal(r.errors.length, 1);
    const e = r.errors[0];
    assert.ok(e);
    assert.deepEqual([e.line, e.column], [9, 5]);
    assert.match(e.message, /unknown key 'connections\.c\.remote_adrs'/);
    assert.match(e.hint ?? '', /remote_addrs/);
  });

  test('several errors are collected, in file order', () => {
    const msgs = errors(conn('    local_port = 0\n    mobike = maybe\n    rekey_time = 4x\n    children {\n      x {\n        mode = pass\n        updown = /bin/true\n        bogus = 1\n      }\n    }', 'daemon {\n  log_level = loud\n}\nfoo {\n}\n'));
    assert.equal(msgs.length, 8);
    assert.match(msgs[0] ?? '', /^v\.conf:9:18: invalid value '0' for 'connections\.c\.local_port'.*1 to 65535/);
    assert.match(msgs[1] ?? '', /invalid value 'maybe' for 'connections\.c\.mobike'.*yes or no/);
    assert.match(msgs[2] ?? '', /invalid value '4x' for 'connections\.c\.rekey_time'.*4h/);
    assert.match(msgs[3] ?? '', /'pass' is not supported yet/);
    assert.match(msgs[4] ?? '', /'connections\.c\.children\.x\.updown' is not supported yet/);
    assert.match(msgs[5] ?? '', /unknown key 'connections\.c\.children\.x\.bogus'/);
    assert.match(msgs[6] ?? '', /log_level.*one of: error, warn, info, debug, trace/);
    assert.match(msgs[7] ?? '', /unknown section 'foo'.*connections, secrets, daemon/);
  });

  test('not-supported-yet keys are distinct from unknown keys', () => {
    const msgs = errors('connections {\n  c {\n    pools = p\n    local {\n      certs = a.pem\n    }\n    remote {\n    }\n  }\n}\n');
    assert.match(msgs[0] ?? '', /'connections\.c\.pools' is not supported yet/);
    assert.ok(msgs.some((m) => /'connections\.c\.local\.certs' is not supported yet/.test(m)), msgs.join('\n'));
    // auth defaults to pubkey (swanctl.conf(5)): a local round without a key to sign with is an error too
    assert.ok(msgs.some((m) => /'connections\.c\.local' uses auth = pubkey but names no key/.test(m)), msgs.join('\n'));
  });

  test('local/remote sections are required', () => {
    const msgs = errors('connections {\n  c {\n  }\n}\n');
    assert.ok(msgs.some((m) => /has no local section/.test(m)));
    assert.ok(msgs.some((m) => /has no remote section/.test(m)));
  });

  test('start_action = start needs a concrete remote address', () => {
    const msgs = errors(conn('    children {\n      x {\n        start_action = start\n      }\n    }'));
    assert.equal(msgs.length, 1);
    assert.match(msgs[0] ?? '', /^v\.conf:11:9: .*start_action' is start, but remote_addrs is '%any'/);
    ok(conn('    remote_addrs = gw.example.com\n    children {\n      x {\n        start_action = start\n      }\n    }'));
  });

  test('bad proposals, identities and selectors are reported at their value', () => {
    const msgs = errors(conn('    proposals = aes128-sha256-x25519, aes999\n    children {\n      x {\n        local_ts = 10.0.0.0/8, 10.0.0.1-\n        esp_proposals = aes128\n      }\n    }'));
    assert.equal(msgs.length, 3);
    assert.match(msgs[0] ?? '', /^v\.conf:9:39: unknown IKE proposal keyword 'aes999'/);
    assert.match(msgs[1] ?? '', /^v\.conf:12:32: '10\.0\.0\.1-' is not a valid address range/);
    assert.match(msgs[2] ?? '', /needs an integrity algorithm/);
  });

  test('life_time must exceed rekey_time', () => {
    const msgs = errors(conn('    children {\n      x {\n        rekey_time = 1h\n        life_time = 30m\n      }\n    }'));
    assert.match(msgs[0] ?? '', /life_time' \(1800\) must be greater than rekey_time \(3600\)/);
  });
});

describe('validateConfig: secrets', () => {
  test('secret values never appear in errors or warnings', () => {
    const r = loadConfigText('secrets {\n  ike-a {\n    secret = 0xSECRETXYZ\n  }\n  ike-b {\n    secret = tiny\n  }\n}\n', 'v.conf');
    const all = [...r.errors.map((e) => e.message), ...r.warnings].join('\n');
    assert.match(all, /invalid value for 'secrets\.ike-a\.secret' \(not shown\)/);
    assert.match(all, /shorter than 8 bytes/);
    assert.ok(!all.includes('SECRETXYZ'));
    assert.ok(!all.includes('tiny'));
  });

  test('0s base64 and quoted secrets; id-<suffix> keys', () => {
    const cfg = ok('secrets {\n  ike-x {\n    id = 192.0.2.1\n    id-2 = @gw\n    secret = 0sMDEyMzQ1Njc4OQ==\n  }\n  ike-y {\n    secret = "0x not hex, quoted"\n  }\n}\n');
    assert.deepEqual(cfg.secrets[0]?.secret, ascii('0123456789'));
    assert.deepEqual(cfg.secrets[0]?.ids.map((i) => i.type), [1, 2]);
    assert.deepEqual(cfg.secrets[1]?.secret, ascii('0x not hex, quoted'));
  });

  test('missing secret, unsupported secret types', () => {
    const msgs = errors('secrets {\n  ike-a {\n    id = @a\n  }\n  eap-b {\n    secret = abcdefghi\n  }\n}\n');
    assert.match(msgs[0] ?? '', /'secrets\.ike-a\.secret' is missing/);
    assert.match(msgs[1] ?? '', /secret type 'eap' is not supported yet/);
  });

  test('psk connection without a matching secret is a warning, not an error', () => {
    const text = 'connections {\n  c {\n    local {\n      auth = psk\n      id = @a\n    }\n    remote {\n      auth = psk\n      id = @b\n    }\n  }\n}\nsecrets {\n  ike-1 {\n    id = @z\n    secret = 0123456789\n  }\n}\n';
    const r = loadConfigText(text, 'v.conf');
    assert.ok(r.config);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /^v\.conf:2: warning: connection 'c' uses auth = psk but no ike secret matches/);
    const r2 = loadConfigText(text.replace('id = @z', 'id = @b'), 'v.conf');
    assert.deepEqual(r2.warnings, []);
  });
});
