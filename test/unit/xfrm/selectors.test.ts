/**
 * Range selectors (RFC 7296 §3.13.1) to XFRM prefix/mask selectors, kernel
 * algorithm names (RFC 4106, RFC 7634, RFC 4868 truncations), reqid tagging.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KernelError } from '../../../src/util/errors.js';
import { kernelSelectors, portRangeToBlocks, rangeToPrefixes, toKeywaySelector } from '../../../src/kernel/xfrm/selectors.js';
import { kernelEncr, kernelInteg } from '../../../src/kernel/xfrm/algorithms.js';
import { ReqidTag } from '../../../src/kernel/xfrm/ownership.js';
import { XfrmAttr } from '../../../src/kernel/xfrm/xfrm-const.js';

test('a prefix stays one prefix; an unaligned range becomes its exact CIDR cover', () => {
  assert.deepEqual(rangeToPrefixes(4, '10.1.0.0', '10.1.0.255'), [{ address: '10.1.0.0', length: 24 }]);
  assert.deepEqual(rangeToPrefixes(4, '0.0.0.0', '255.255.255.255'), [{ address: '0.0.0.0', length: 0 }]);
  assert.deepEqual(rangeToPrefixes(4, '10.0.0.1', '10.0.0.6'), [
    { address: '10.0.0.1', length: 32 },
    { address: '10.0.0.2', length: 31 },
    { address: '10.0.0.4', length: 31 },
    { address: '10.0.0.6', length: 32 },
  ]);
  assert.deepEqual(rangeToPrefixes(6, '2001:db8::', '2001:db8::ffff'), [{ address: '2001:db8::', length: 112 }]);
});

test('the CIDR cover is exact: sizes add up and blocks are aligned (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const ip = (n: number): string => `10.9.${n >> 8}.${n & 255}`;
      const ps = rangeToPrefixes(4, ip(lo), ip(hi), 100);
      let next = lo;
      for (const p of ps) {
        const [, , x, y] = p.address.split('.').map(Number);
        const start = ((x ?? 0) << 8) | (y ?? 0);
        const size = 2 ** (32 - p.length);
        assert.equal(start, next);
        assert.equal(start % size, 0);
        next = start + size;
      }
      assert.equal(next, hi + 1);
    }),
    { numRuns: 300 },
  );
});

test('port ranges: any = mask 0, a single port = mask 0xffff, ranges = aligned blocks', () => {
  assert.deepEqual(portRangeToBlocks(0, 65535), [{ port: 0, mask: 0 }]);
  assert.deepEqual(portRangeToBlocks(500, 500), [{ port: 500, mask: 0xffff }]);
  assert.deepEqual(portRangeToBlocks(1024, 2047), [{ port: 1024, mask: 0xfc00 }]);
  assert.deepEqual(portRangeToBlocks(4, 9), [{ port: 4, mask: 0xfffc }, { port: 8, mask: 0xfffe }]);
});

test('too many kernel selectors is refused with a KernelError', () => {
  const any = (a: string, b: string) => ({ family: 4 as const, startAddress: a, endAddress: b, protocol: 0, startPort: 1, endPort: 65534 });
  assert.throws(() => kernelSelectors(any('10.0.0.1', '10.0.0.254'), any('10.1.0.1', '10.1.0.254')), KernelError);
});

test('kernel selector back to a range (ACQUIRE)', () => {
  assert.deepEqual(toKeywaySelector(4, '10.2.0.5', 32, 17, 9, 0xffff), {
    family: 4, startAddress: '10.2.0.5', endAddress: '10.2.0.5', protocol: 17, startPort: 9, endPort: 9,
  });
  assert.deepEqual(toKeywaySelector(4, '10.2.0.0', 24, 0, 0, 0), {
    family: 4, startAddress: '10.2.0.0', endAddress: '10.2.0.255', protocol: 0, startPort: 0, endPort: 65535,
  });
});

test('IANA transforms map to the Linux crypto names and ICV/truncation lengths', () => {
  assert.deepEqual([kernelEncr(20, 20).name, kernelEncr(20, 20).extraBits, kernelEncr(20, 20).attr], ['rfc4106(gcm(aes))', 128, XfrmAttr.ALG_AEAD]);
  assert.equal(kernelEncr(18, 36).extraBits, 64);
  assert.equal(kernelEncr(28, 36).name, 'rfc7539esp(chacha20,poly1305)');
  assert.equal(kernelEncr(12, 32).name, 'cbc(aes)');
  assert.equal(kernelEncr(13, 20).name, 'rfc3686(ctr(aes))');
  assert.deepEqual([kernelInteg(12).name, kernelInteg(12).extraBits], ['hmac(sha256)', 128]);
  assert.deepEqual([kernelInteg(2).name, kernelInteg(2).extraBits], ['hmac(sha1)', 96]);
  assert.deepEqual([kernelInteg(14).name, kernelInteg(14).extraBits], ['hmac(sha512)', 256]);
  assert.throws(() => kernelEncr(12, 17), KernelError); // 136-bit AES key
  assert.throws(() => kernelEncr(99, 16), KernelError);
  assert.throws(() => kernelInteg(99), KernelError);
});

test('reqid tag: ours round-trip, others are not ours, too-large reqids are refused', () => {
  const t = new ReqidTag(0x4b);
  assert.equal(t.toKernel(1), 0x4b000001);
  assert.equal(t.owns(0x4b123456), true);
  assert.equal(t.owns(1), false);
  assert.equal(t.owns(0x4c000001), false);
  assert.throws(() => t.toKernel(0x1000000), KernelError);
  assert.throws(() => new ReqidTag(0), KernelError);
});
