import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, decodeJson, encodeFrame } from '../../../src/control/framing.js';
import { WireError } from '../../../src/util/errors.js';

describe('control framing', () => {
  test('encodes a 4-byte big-endian length then UTF-8 JSON', () => {
    const f = encodeFrame({ a: 'é' });
    const body = Buffer.from('{"a":"é"}', 'utf8');
    assert.equal(f.readUInt32BE(0), body.length);
    assert.deepEqual(f.subarray(4), body);
  });

  test('decodes frames split at every possible byte boundary', () => {
    const docs = [{ v: 1, id: 1 }, { v: 1, id: 2, s: 'x'.repeat(300) }, []];
    const stream = Buffer.concat(docs.map((d) => encodeFrame(d)));
    for (let cut = 0; cut <= stream.length; cut++) {
      const dec = new FrameDecoder();
      const got = [...dec.push(stream.subarray(0, cut)), ...dec.push(stream.subarray(cut))];
      assert.deepEqual(
        got.map((b) => JSON.parse(b.toString('utf8')) as unknown),
        docs,
        `cut at ${cut}`,
      );
      assert.equal(dec.buffered, 0);
    }
  });

  test('decodes one byte at a time and merged chunks', () => {
    const stream = Buffer.concat([encodeFrame({ n: 1 }), encodeFrame({ n: 2 }), encodeFrame({ n: 3 })]);
    const dec = new FrameDecoder();
    const got: Buffer[] = [];
    for (const b of stream) got.push(...dec.push(Uint8Array.of(b)));
    assert.equal(got.length, 3);
    assert.equal(new FrameDecoder().push(stream).length, 3);
  });

  test('keeps a partial frame until it completes', () => {
    const f = encodeFrame({ hello: 'world' });
    const dec = new FrameDecoder();
    assert.deepEqual(dec.push(f.subarray(0, 6)), []);
    assert.equal(dec.buffered, 6);
    assert.equal(dec.push(f.subarray(6)).length, 1);
  });

  test('rejects an oversized length header before buffering the body', () => {
    const dec = new FrameDecoder(1024);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(0xffffffff, 0);
    assert.throws(() => dec.push(head), (e: unknown) => e instanceof WireError && e.code === 'CONTROL_FRAME_TOO_LARGE');
    // the stream is dead afterwards, still with our own error type
    assert.throws(() => dec.push(Buffer.alloc(1)), WireError);
  });

  test('accepts a frame exactly at the cap and refuses to encode one above it', () => {
    const dec = new FrameDecoder(10);
    const ok = Buffer.alloc(14);
    ok.writeUInt32BE(10, 0);
    assert.equal(dec.push(ok).length, 1);
    assert.throws(() => encodeFrame('x'.repeat(20), 10), WireError);
  });

  test('decodeJson refuses invalid UTF-8 and invalid JSON', () => {
    assert.deepEqual(decodeJson(Buffer.from('{"a":1}')), { ok: true, value: { a: 1 } });
    assert.deepEqual(decodeJson(Uint8Array.of(0xff, 0xfe)), { ok: false });
    assert.deepEqual(decodeJson(Buffer.from('{nope')), { ok: false });
    assert.deepEqual(decodeJson(new Uint8Array(0)), { ok: false });
  });
});
