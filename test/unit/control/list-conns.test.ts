/**
 * `keyway list-conns` shows the port the daemon really uses: connections
 * initiate from and are answered on daemon { port }, whatever the
 * connection's own local_port default says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { connectionInfo } from '../../../src/ike/info-builder.js';

const CONF = `
daemon {
  port = 4510
}
connections {
  gw {
    remote_addrs = 192.0.2.2
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      net {
        local_ts = 10.1.0.0/24
        remote_ts = 10.2.0.0/24
      }
    }
  }
}
secrets {
  ike-1 {
    secret = "0123456789abcdef"
  }
}
`;

test('list-conns reports daemon { port } as the local port', () => {
  const r = loadConfigText(CONF, 'list-conns.conf');
  assert.deepEqual(r.errors, []);
  const config = r.config;
  assert.ok(config !== undefined);
  const [conn] = config.connections;
  assert.ok(conn !== undefined);
  const info = connectionInfo(conn, config.daemon.port);
  assert.equal(info.localPort, 4510);
  assert.equal(info.remotePort, 500);
});

test('a local_port the daemon does not listen on is warned about (it would be ignored)', () => {
  const r = loadConfigText(CONF.replace('remote_addrs = 192.0.2.2', 'remote_addrs = 192.0.2.2\n    local_port = 4600'), 'list-conns.conf');
  assert.deepEqual(r.errors, []);
  assert.ok(r.warnings.some((w) => /local_port = 4600.*daemon \{ port = 4510 \}/.test(w)), r.warnings.join('\n'));
  const same = loadConfigText(CONF.replace('remote_addrs = 192.0.2.2', 'remote_addrs = 192.0.2.2\n    local_port = 4510'), 'list-conns.conf');
  assert.equal(same.warnings.some((w) => /local_port/.test(w)), false);
});
