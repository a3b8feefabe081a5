// labs/netem.md on a kernel that has netem: Debian bookworm's, in one VM
// under software emulation (TCG), as a matrix cell. The guest loads sch_netem
// at boot (LAB_MODULES), so the lab is not skipped there: every block runs,
// and its ping checks read netem's delay and loss in ping's statistics. The
// kernel comes from the cache (~/.cache/nslab/kernels, fetched once by
// `nslab run --kernel debian:bookworm`); without it or qemu, the test is
// skipped. One VM: some 2 minutes on a quiet machine, 4 on a busy one.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { JsonReport } from '../../runner/report/json-reporter.js'
import { findProgram } from '../../runner/host/require-programs.js'
import { kernelCacheDir } from '../../runner/vm/fetch-kernel.js'
import { qemusUnder } from '../helpers/qemus-under.js'

const ROOT = new URL('../..', import.meta.url).pathname
const LAB = 'labs/netem.md'
const cached = join(kernelCacheDir(), 'kernels', 'bookworm', 'kernel.json')
const skip = !findProgram('qemu-system-x86_64')
  ? 'qemu-system-x86_64 is not installed'
  : !existsSync(cached)
    ? `no bookworm kernel in the cache (${cached}): nslab run --kernel debian:bookworm fetches it`
    : false
const dir = mkdtempSync(join(tmpdir(), 'nslab-vm-netem-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
// The VM of this file keeps its files under dir: that is how its qemu is told from any other run's.
mkdirSync(join(dir, 'tmp'))

const nslabQemus = (): number[] => qemusUnder(dir)

// Longer than tap's 900 s for a file on a busy machine (TCG): this file says so to the runner.
t.setTimeout(1_200_000)

t.test('labs/netem.md passes inside the bookworm kernel, sch_netem loaded at boot', { skip, timeout: 1_000_000 }, async (t) => {
  const json = join(dir, 'netem.json')
  const t0 = performance.now()
  const r = spawnSync(
    'env',
    ['-u', 'NODE_OPTIONS', process.execPath, join(ROOT, 'dist/bin/nslab.cjs'), 'run', LAB, '--kernel', 'debian:bookworm', '--iptables', 'nft', '--accel', 'tcg', '--vm-timeout', '14m', '--json', json],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TMPDIR: join(dir, 'tmp') }, timeout: 900_000 },
  )
  const s = Math.round((performance.now() - t0) / 1000)
  t.equal(r.status, 0, `exit 0 after ${s} s\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-3000)}`)
  const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport
  t.same(report.labs.map((l) => [l.file, l.status]), [[LAB, 'pass']], 'run, not skipped: the guest kernel has sch_netem')
  const lab = report.labs[0]!
  t.match(lab.cell, /^debian:bookworm 6\.1\.\d+-\d+-amd64 iptables-nft v1\.8\.\d+$/)
  t.ok(lab.blocks.length > 15 && lab.blocks.every((b) => b.status === 'pass'), 'every block passed')
  const sentences = lab.blocks.flatMap((b) => b.checks ?? []).map((c) => `${c.source} → ${c.sentence}`)
  const said = (source: RegExp) => sentences.find((x) => source.test(x)) ?? ''
  // The check's own 60 echoes through netem's 50% loss and 100 ms delay.
  const loss = /60 sent, (\d+) received, [\d.]+% lost, rtt min\/avg\/max ([\d.]+)\//.exec(said(/^ping box1 box2 count=60 /))
  t.ok(loss, `the loss check read ping's statistics: ${said(/count=60/)}`)
  if (loss) {
    t.ok(Number(loss[1]) >= 6 && Number(loss[1]) <= 54, `${loss[1]} of 60 received`)
    t.ok(Number(loss[2]) >= 100, `rtt min ${loss[2]} ms ≥ 100 ms`)
  }
  t.match(said(/^ping box1 box2 count=5 min-rtt=150ms/), /5 sent, 5 received, 0% lost, rtt min\/avg\/max 1[5-9]\d(?:\.\d+)?\//, 'the exercise: 100 ms one way, 50 ms the other')
  t.same(nslabQemus(), [], 'no qemu left')
})
