/**
 * local_addrs / remote_addrs entries are parsed once per configured list
 * (WeakMap) instead of per packet. The parsed matcher must answer exactly as
 * the text matcher did: checked against that earlier per-call implementation
 * (kept here as the reference) on generated entries and addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AddrMatch, matchAddressEntry, matchAddressList, parseAddressEntry, parsedAddressList } from '../../../src/policy/addr-match.js';
import { familyBits, parseIp, prefixRange, type IpValue } from '../../../src/policy/ip.js';

/** The matcher before the cache: parses the entry text on every call. */
function reference(entry: string, addrText: string, addr: IpValue | undefined): number {
  const e = entry.trim();
  if (e === '%any' || e === '') return AddrMatch.ANY;
  if (e === '%any4') return addr?.family === 4 ? AddrMatch.ANY : AddrMatch.NONE;
  if (e === '%any6') return addr?.family === 6 ? AddrMatch.ANY : AddrMatch.NONE;
  const slash = e.indexOf('/');
  if (slash >= 0) {
    const net = parseIp(e.slice(0, slash));
    const lenText = e.slice(slash + 1);
    if (net === undefined || addr === undefined || net.family !== addr.family || !/^[0-9]{1,3}$/.test(lenText)) return AddrMatch.NONE;
    const len = Number(lenText);
    if (len > familyBits(net.family)) return AddrMatch.NONE;
    const r = prefixRange(net.family, net.value, len);
    return addr.value >= r.start && addr.value <= r.end ? AddrMatch.SUBNET : AddrMatch.NONE;
  }
  const dash = e.indexOf('-');
  if (dash > 0) {
    const a = parseIp(e.slice(0, dash));
    const b = parseIp(e.slice(dash + 1));
    if (a !== undefined && b !== undefined) {
      if (addr === undefined || a.family !== addr.family || b.family !== addr.family) return AddrMatch.NONE;
      return addr.value >= a.value && addr.value <= b.value ? AddrMatch.SUBNET : AddrMatch.NONE;
    }
  }
  const ip = parseIp(e);
  if (ip !== undefined) return addr !== undefined && ip.family === addr.family && ip.value === addr.value ? AddrMatch.EXACT : AddrMatch.NONE;
  return e.toLowerCase() === addrText.toLowerCase() ? AddrMatch.EXACT : AddrMatch.NONE;
}

// small address pools so that entries and packet addresses often meet
const v4 = fc.constantFrom('192.0.2.0', '192.0.2.1', '192.0.2.7', '192.0.2.255', '198.51.100.9', '0.0.0.0', '10.0.0.1');
const v6 = fc.constantFrom('2001:db8::', '2001:db8::1', '2001:db8::ffff', '::', '::ffff:192.0.2.1', '2001:DB8::7');
const name = fc.constantFrom('vpn.example.com', 'VPN.Example.COM', 'gw-1.example.net', 'not/an-address', '192.0.2', '1.2.3.4.5');
const addr = fc.oneof(v4, v6, name);
const entry = fc.oneof(
  fc.constantFrom('%any', '%any4', '%any6', '', '  %any ', '/24', '-', '192.0.2.0/33', '2001:db8::/129', '192.0.2.1/x'),
  addr,
  fc.tuple(fc.oneof(v4, v6), fc.integer({ min: 0, max: 130 })).map(([a, l]) => `${a}/${l}`),
  fc.tuple(addr, addr).map(([a, b]) => `${a}-${b}`),
  addr.map((a) => ` ${a} `),
);

test('parsed entries match exactly as the per-call text matcher did', () => {
  fc.assert(
    fc.property(entry, addr, (e, a) => {
      const ip = parseIp(a);
      assert.equal(matchAddressEntry(e, a, ip), reference(e, a, ip), `${JSON.stringify(e)} vs ${a}`);
    }),
    { numRuns: 5000 },
  );
});

test('lists: best entry wins, empty means %any, the parse is cached per list object', () => {
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 5 }), addr, (list, a) => {
      const want = list.length === 0 ? AddrMatch.ANY : Math.max(AddrMatch.NONE, ...list.map((e) => reference(e, a, parseIp(a))));
      assert.equal(matchAddressList(list, a), want);
      assert.equal(matchAddressList(list, a, parseIp(a)), want);
    }),
    { numRuns: 2000 },
  );
  const list = ['198.51.100.0/24', 'vpn.example.com'];
  assert.equal(parsedAddressList(list), parsedAddressList(list), 'parsed once per list');
  assert.equal(matchAddressList(list, '198.51.100.77'), AddrMatch.SUBNET);
  assert.equal(matchAddressList(list, 'VPN.example.com'), AddrMatch.EXACT);
  // a reloaded config is a new array: it is parsed afresh
  assert.equal(matchAddressList(['203.0.113.5'], '198.51.100.77'), AddrMatch.NONE);
  assert.deepEqual(parseAddressEntry('192.0.2.1-2001:db8::1'), { kind: 'never' });
});
