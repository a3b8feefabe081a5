// Which iptables back end a lab host gets: the one asked for, else the machine's own.
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { iptablesBackend } from '../../runner/host/iptables-backend.js'

t.test('asked for: that one', async (t) => {
  t.equal(iptablesBackend('nft'), 'nft')
  t.equal(iptablesBackend('legacy'), 'legacy')
})

t.test("not asked: what this machine's iptables-restore is, as iptables -V says", async (t) => {
  const v = spawnSync('iptables-restore', ['-V'], { encoding: 'utf8' })
  t.equal(v.status, 0, v.stderr)
  const said = /\(nf_tables\)/.test(v.stdout) ? 'nft' : /\(legacy\)/.test(v.stdout) ? 'legacy' : undefined
  t.ok(said, v.stdout)
  t.equal(iptablesBackend(), said)
})
