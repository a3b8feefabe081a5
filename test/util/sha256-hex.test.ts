// nslab's own SHA-256 (no node:crypto at start-up) gives node:crypto's digests.
import { createHash } from 'node:crypto'
import t from 'tap'
import { sha256Hex } from '../../runner/util/sha256-hex.js'
import { randomHex } from '../../runner/util/random-hex.js'

t.test('the same digest as node:crypto, across block boundaries and in UTF-8', async (t) => {
  const texts = ['', 'abc', 'backend', 'front-net', 'é网络🙂', ...Array.from({ length: 200 }, (_, n) => 'x'.repeat(n))]
  for (const s of texts) t.equal(sha256Hex(s), createHash('sha256').update(s).digest('hex'), `${JSON.stringify(s.slice(0, 12))} (${s.length})`)
  // FIPS 180-4's own example.
  t.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
})

t.test('random hex: the length asked for, and not twice the same', async (t) => {
  const a = randomHex(12)
  t.match(a, /^[0-9a-f]{24}$/)
  t.not(randomHex(12), a)
  t.equal(randomHex(1).length, 2)
})
