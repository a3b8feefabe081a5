// nslab's own SHA-256 (no node:crypto at start-up) gives node:crypto's digests.
import { createHash } from 'node:crypto'
import t from 'tap'
import { sha256Hex } from '../../runner/util/sha256-hex.js'

t.test('the same digest as node:crypto, across block boundaries and in UTF-8', async (t) => {
  const texts = ['', 'abc', 'backend', 'front-net', 'é网络🙂', ...Array.from({ length: 200 }, (_, n) => 'x'.repeat(n))]
  for (const s of texts) t.equal(sha256Hex(s), createHash('sha256').update(s).digest('hex'), `${JSON.stringify(s.slice(0, 12))} (${s.length})`)
  // FIPS 180-4's own example.
  t.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
})
