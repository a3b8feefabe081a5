// Real VMs: the labs of labs/ run inside Debian bookworm's kernel under
// software emulation (TCG, as on a machine without KVM), each result
// labelled with its cell; a kernel that cannot boot, a panic and a hang are
// failed cells with their console as evidence, within their time limits,
// and no qemu is left behind. The kernel comes from ~/.cache/nslab (fetched
// once per machine). The slowest test here takes 2–4 minutes (bounded at 6).
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Ajv2020Module from 'ajv/dist/2020.js'
import t from 'tap'
import { Parser } from 'tap-parser'
import { bootVm } from '../../runner/vm/boot-vm.js'
import { isAlive } from '../../runner/host/exec.js'
import { fetchKernel, type Kernel } from '../../runner/vm/fetch-kernel.js'
import type { JsonReport } from '../../runner/report/json-reporter.js'
import { parseKernelSpec } from '../../runner/vm/parse-kernel-spec.js'
import { findProgram } from '../../runner/host/require-programs.js'
import { writeCpio } from '../../runner/vm/write-cpio.js'

const ROOT = new URL('../..', import.meta.url).pathname
const schema = JSON.parse(readFileSync(join(ROOT, 'docs/report.schema.json'), 'utf8')) as object
const validate = new Ajv2020Module.default({ strict: true, allErrors: true, validateFormats: false }).compile(schema)
const dir = mkdtempSync(join(tmpdir(), 'nslab-vm-test-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
// The VMs of this file keep their files under dir: that is how its qemus are told from any other run's.
mkdirSync(join(dir, 'tmp'))
process.env.TMPDIR = join(dir, 'tmp')
let kernel: Kernel

/** `nslab run … --kernel …` through nslab's own command line, as a user runs it. */
function matrix(args: string[], timeoutMs: number) {
  const t0 = performance.now()
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, join(ROOT, 'dist/bin/nslab.cjs'), 'run', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: timeoutMs,
  })
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 }
}

/** qemu processes of this file's nslab VMs (their command lines name the events port and dir). */
function nslabQemus(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')
        return (argv[0] ?? '').endsWith('qemu-system-x86_64') && argv.includes('virtserialport,chardev=events,name=nslab.events') && argv.some((a) => a.includes(dir))
      } catch {
        return false
      }
    })
    .map(Number)
}

t.before(async () => {
  kernel = await fetchKernel(parseKernelSpec('debian:bookworm'))
})

// The three shipped labs: the catalogue's in TCG would take most of the suite's time.
const SHIPPED = ['labs/container-to-container.md', 'labs/dnat-port-forward.md', 'labs/snat-outbound.md']

t.test('the three labs pass inside the Debian bookworm kernel under TCG, reported as a local run is, labelled by cell', { timeout: 360_000 }, async (t) => {
  const json = join(dir, 'matrix.json')
  const junit = join(dir, 'matrix.xml')
  const r = matrix([...SHIPPED, '--kernel', 'debian:bookworm', '--iptables', 'nft', '--accel', 'tcg', '--reporter', 'tap', '--json', json, '--junit', junit], 350_000)
  t.equal(r.code, 0, `exit 0 after ${Math.round(r.ms / 1000)} s\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-3000)}`)

  const parser = new Parser()
  const done = new Promise<{ ok: boolean; count: number }>((res) => parser.on('complete', res))
  parser.end(r.stdout)
  const tap = await done
  t.ok(tap.ok, 'the TAP is valid and ok')
  t.equal(tap.count, 3, 'a test point per lab')

  const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport
  t.ok(validate(report), `a valid JSON report ${JSON.stringify(validate.errors)}`)
  t.same(report.labs.map((l) => l.status), ['pass', 'pass', 'pass'])
  t.same(report.labs.map((l) => l.file).sort(), SHIPPED)
  const cell = report.labs[0]?.cell ?? ''
  t.match(cell, /^debian:bookworm 6\.1\.\d+-\d+-amd64 iptables-nft v1\.8\.\d+$/, 'uname -r and iptables -V of the guest in the cell')
  t.ok(report.labs.every((l) => l.cell === cell), 'one cell')
  t.ok(report.summary.checks.total > 10, `${report.summary.checks.total} checks ran`)
  t.match(readFileSync(junit, 'utf8'), `[${cell}]"`, 'JUnit names carry the cell')

  // Notes and the matrix go to stderr when stdout is TAP.
  t.match(r.stderr, /software emulation \(TCG\)|booting .*\(TCG[;)]/, "TCG said, with the load's stretch when the machine is busy")
  t.match(r.stderr, /up in [\d.]+ (s|min)/)
  t.match(r.stderr, /Linux 6\.1\.\d+-\d+-amd64, iptables v1\.8\.\d+ \(nf_tables\)/)
  t.match(r.stderr, /\[1\] debian:bookworm iptables-nft {2}Linux 6\.1\.\S+, iptables v1\.8\.\d+ \(nf_tables\) {2}pass/)
  t.match(r.stderr, /1 cell: 1 passed/)
  t.same(nslabQemus(), [], 'no qemu left')
})

t.test('a kernel that cannot boot (a truncated image) is a failed cell, with its console as evidence, at once', { timeout: 120_000 }, async (t) => {
  const image = join(dir, 'vmlinuz-truncated')
  writeFileSync(image, readFileSync(join(kernel.image.replace(/\/vmlinux-.*$/, ''), `vmlinuz-${kernel.release}`)).subarray(0, 3_000_000))
  const json = join(dir, 'truncated.json')
  const r = matrix(['labs/snat-outbound.md', '--kernel', `${image}:${kernel.modulesDir}`, '--iptables', 'nft', '--accel', 'tcg', '--vm-timeout', '60s', '--json', json], 110_000)
  t.equal(r.code, 1, `exit 1\n${r.stdout}\n${r.stderr}`)
  t.ok(r.ms < 60_000, `it ended in ${Math.round(r.ms / 1000)} s, before the VM's time limit`)
  const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport
  t.ok(validate(report), JSON.stringify(validate.errors))
  t.equal(report.labs.length, 1)
  const lab = report.labs[0]!
  t.equal(lab.status, 'error')
  t.equal(lab.cell, `${image} iptables-nft`, 'the cell as asked: it never said what it runs')
  t.match(lab.error, /the VM did not boot/)
  t.match(lab.error, /console \(last lines\):\n.*Probing EDD/, 'the end of the console log')
  t.match(lab.error, /Triple fault/)
  t.match(r.stdout, /\[1\] \S+vmlinuz-truncated iptables-nft {2}did not boot {2}FAIL/)
  t.same(nslabQemus(), [], 'no qemu left')
})

t.test('a guest that panics ends its VM at once; the panic is on the console', { timeout: 120_000 }, async (t) => {
  // No /init in the initramfs and no root device: the kernel panics, panic=-1 reboots, -no-reboot ends qemu.
  writeFileSync(join(dir, 'empty.cpio'), writeCpio([{ type: 'dir', name: 'nothing' }]))
  const vm = await bootVm({ kernel, initramfs: join(dir, 'empty.cpio'), runScript: '/nonexistent', workDir: dir, accel: 'tcg', timeoutMs: 90_000 })
  t.equal(vm.timedOut, false, `it ended by itself, in ${Math.round(vm.durationMs / 1000)} s`)
  t.match(vm.consoleTail, /Kernel panic - not syncing/)
  t.notOk(isAlive(vm.pid), 'qemu is gone')
})

t.test('a guest that hangs is stopped at its time limit and its qemu killed', { timeout: 60_000 }, async (t) => {
  const busybox = findProgram('busybox')!
  const hang = writeCpio([
    { type: 'dir', name: 'bin' },
    { type: 'dir', name: 'dev' },
    { type: 'char', name: 'dev/console', major: 5, minor: 1 },
    { type: 'file', name: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
    { type: 'file', name: 'init', data: '#!/bin/busybox sh\necho "nslab test: about to hang"\nexec /bin/busybox sleep 3600\n', mode: 0o755 },
  ])
  writeFileSync(join(dir, 'hang.cpio'), hang)
  const t0 = performance.now()
  const vm = await bootVm({ kernel, initramfs: join(dir, 'hang.cpio'), runScript: '/nonexistent', workDir: dir, accel: 'tcg', timeoutMs: 25_000 })
  const took = performance.now() - t0
  t.equal(vm.timedOut, true)
  t.ok(took >= 25_000 && took < 32_000, `stopped at its limit (${Math.round(took / 1000)} s)`)
  t.match(vm.consoleTail, /about to hang/, 'the console up to the hang')
  t.notOk(isAlive(vm.pid), 'qemu is gone')
  t.same(nslabQemus(), [])
})

t.test('a KVM that hangs a real guest is given up within its stall limit, and nothing is reported of it', { timeout: 90_000 }, async (t) => {
  const { kvmWorks } = await import('../../runner/vm/kvm-works.js')
  const { runVmCell } = await import('../../runner/vm/run-vm-cell.js')
  const { loadValidLabs } = await import('../../runner/lab/load-labs.js')
  const verdict = await kvmWorks()
  if (!/hung/.test(verdict.why ?? '')) {
    t.skip(`only where KVM hangs a guest (here: ${verdict.ok ? 'KVM works' : verdict.why})`, () => {})
    return
  }
  const events: unknown[] = []
  const t0 = performance.now()
  const r = await runVmCell({
    kernel,
    backend: 'nft',
    labs: loadValidLabs([join(ROOT, 'labs/snat-outbound.md')]),
    accel: 'kvm',
    cpu: 'host,-arch-capabilities',
    timeoutMs: 80_000,
    labTimeoutMs: 60_000,
    stallTimeoutMs: 10_000,
    emit: (e) => events.push(e),
  })
  t.equal(r.stalled, true)
  t.ok(performance.now() - t0 < 20_000, `given up after ${Math.round((performance.now() - t0) / 1000)} s`)
  t.same(r.results, [], 'no results: the caller runs the cell again under TCG')
  t.same(events, [], 'and no events')
  t.same(nslabQemus(), [], 'no qemu left')
})
