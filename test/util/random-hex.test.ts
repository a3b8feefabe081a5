// Random hex from /dev/urandom (no node:crypto at start-up).
import t from 'tap'
import { randomHex } from '../../runner/util/random-hex.js'

t.test('random hex: the length asked for, and not twice the same', async (t) => {
  const a = randomHex(12)
  t.match(a, /^[0-9a-f]{24}$/)
  t.not(randomHex(12), a)
  t.equal(randomHex(1).length, 2)
})
