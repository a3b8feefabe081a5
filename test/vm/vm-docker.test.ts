// engine: docker in the kernel matrix: a docker-engine lab runs inside Debian
// bookworm's kernel under software emulation (TCG), with the guest's own
// dockerd, containerd and runc (the machine's, seen read-only through the
// guest's view of its root), a cgroup2 tree the guest mounts, and the image
// cache shared read-only. A small lab of its own (dockerd up, one container,
// a docker run -p and its rule): labs/docker-publish.md takes some 10 minutes
// in TCG on a busy machine. No qemu, cgroup or change of the machine is left.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { JsonReport } from '../../runner/report/json-reporter.js'
import { findProgram } from '../../runner/host/require-programs.js'
import { nslabCacheDir } from '../../runner/host/docker/image-cache.js'
import { dockerSkip } from '../helpers/docker-engine.js'
import { machineState } from '../helpers/machine-state.js'
import { qemusUnder } from '../helpers/qemus-under.js'

const ROOT = new URL('../..', import.meta.url).pathname
const LAB = 'test/fixtures/docker-labs/docker-in-vm.md'
const skip = dockerSkip() || (!findProgram('qemu-system-x86_64') ? 'qemu-system-x86_64 is not installed' : false)
const dir = mkdtempSync(join(tmpdir(), 'nslab-vm-docker-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
// The VMs of this file keep their files under dir: that is how its qemus are told from any other run's.
mkdirSync(join(dir, 'tmp'))

function matrix(args: string[], timeoutMs: number) {
  const t0 = performance.now()
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, join(ROOT, 'dist/bin/nslab.cjs'), 'run', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', TMPDIR: join(dir, 'tmp'), NSLAB_CACHE: process.env.NSLAB_CACHE ?? nslabCacheDir() },
    timeout: timeoutMs,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 }
}

const nslabQemus = (): number[] => qemusUnder(dir)

t.test('an engine: docker lab passes inside the bookworm kernel under TCG, with the guest\'s own dockerd', { skip, timeout: 1_500_000 }, async (t) => {
  const before = machineState()
  const json = join(dir, 'docker.json')
  const r = matrix([LAB, '--kernel', 'debian:bookworm', '--iptables', 'nft', '--accel', 'tcg', '--vm-timeout', '20m', '--json', json], 1_400_000)
  t.equal(r.code, 0, `exit 0 after ${Math.round(r.ms / 1000)} s\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-3000)}`)
  const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport
  t.same(report.labs.map((l) => [l.file, l.status]), [[LAB, 'pass']])
  t.match(report.labs[0]?.cell, /^debian:bookworm 6\.1\.\d+-\d+-amd64 iptables-nft v1\.8\.\d+$/, 'in the VM: the guest kernel and iptables in the cell')
  // The docker run -p step ran on the guest's dockerd: its DNAT rule was checked there.
  t.match(JSON.stringify(report.labs[0]), /DNAT --to-destination 172\.17\.0\.3:80/, 'the rule of docker run -p was checked in the guest')
  t.same(nslabQemus(), [], 'no qemu left')
  t.same(machineState(), before, "the machine's network and mounts are as they were")
})
