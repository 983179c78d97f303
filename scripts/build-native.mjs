// Builds the optional native addon (native/) during `npm install`.
// The daemon runs without it (memory dataplane, IKE only); features that need
// it (TUN, netlink/XFRM, UDP_ENCAP) say so clearly when it is missing. So a
// failed build warns instead of failing the install.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env['KEYWAY_SKIP_NATIVE'] === '1') {
  console.log('keyway: KEYWAY_SKIP_NATIVE=1, not building the native addon');
  process.exit(0);
}
// npm puts its bundled node-gyp on PATH for lifecycle scripts.
const r = spawnSync('node-gyp', ['rebuild', '--directory', join(root, 'native')], { stdio: 'inherit', shell: false });
if (r.status !== 0) {
  console.warn('keyway: WARNING: the native addon did not build; the userspace and xfrm dataplanes will be unavailable.');
  console.warn('keyway: it needs python3, make and g++ (apt-get install -y python3 make g++).');
}
process.exit(0);
