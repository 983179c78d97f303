/**
 * Kernel errors (NLMSG_ERROR errno + extended ACK text) to KernelError with a
 * message an operator can act on. The message always carries the errno name
 * and number and, when the kernel gave one, its own explanation.
 */
import { KernelError } from '../../util/errors.js';
import type { NlError } from './netlink.js';

const ERRNO: Readonly<Record<number, readonly [string, string]>> = {
  1: ['EPERM', 'operation not permitted'],
  2: ['ENOENT', 'no such entry'],
  3: ['ESRCH', 'no such SA'],
  12: ['ENOMEM', 'out of memory'],
  13: ['EACCES', 'permission denied'],
  16: ['EBUSY', 'resource busy'],
  17: ['EEXIST', 'entry already exists'],
  22: ['EINVAL', 'invalid argument'],
  28: ['ENOSPC', 'no space left'],
  38: ['ENOSYS', 'function not implemented'],
  90: ['EMSGSIZE', 'message too long'],
  93: ['EPROTONOSUPPORT', 'protocol not supported'],
  95: ['EOPNOTSUPP', 'operation not supported'],
  97: ['EAFNOSUPPORT', 'address family not supported'],
  105: ['ENOBUFS', 'no buffer space available'],
};

export function errnoName(errno: number): string {
  return ERRNO[errno]?.[0] ?? `errno ${errno}`;
}

/** What the operator should know about an errno for this kind of request. */
function hint(op: string, errno: number, proto: string | undefined): string {
  const isSa = op === 'NEWSA' || op === 'UPDSA';
  if (isSa && errno === 93) {
    return `the kernel lacks ${proto === 'ah' ? 'AH' : 'ESP'} support (CONFIG_INET_${proto === 'ah' ? 'AH' : 'ESP'} / module ${proto === 'ah' ? 'ah4/ah6' : 'esp4/esp6'} not loaded)`;
  }
  if (isSa && errno === 2) return 'the kernel lacks the crypto algorithm or mode (module not loaded?)';
  if (isSa && errno === 38) return 'the kernel lacks the crypto algorithm (e.g. gcm/chacha20poly1305 module not loaded)';
  if (errno === 1 || errno === 13) return 'Keyway needs CAP_NET_ADMIN for the xfrm dataplane';
  return '';
}

/**
 * The KernelError for a failed request: code KERNEL_<ERRNO>, message
 *   "<op> <what>: <EXXX> (<n>, <description>): kernel: "<extack>"; <hint>"
 */
export function kernelError(op: string, what: string, e: NlError, proto?: string): KernelError {
  const [name, desc] = ERRNO[e.errno] ?? [`E${e.errno}`, 'error'];
  const ext = e.extAckMessage !== undefined && e.extAckMessage !== '' ? `: kernel says "${e.extAckMessage}"` : '';
  const h = hint(op, e.errno, proto);
  return new KernelError(`KERNEL_${name}`, `xfrm ${op} ${what} failed: ${name} (${e.errno}, ${desc})${ext}${h !== '' ? `; ${h}` : ''}`, e.errno);
}
