// The pieces of a kernel matrix that need no VM: sharding, cell labels, the
// matrix table, the event stream, the command line, kernel specs, apt sources.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { cellKey, cellLabel, iptablesV, parseCellLabel } from '../../runner/vm/cell-label.js'
import { debianMirror } from '../../runner/vm/debian-mirror.js'
import { createEventsReporter, readEventLine } from '../../runner/report/events-reporter.js'
import { buildMatrix, matrixTable } from '../../runner/vm/matrix-table.js'
import { NslabError } from '../../runner/util/nslab-error.js'
import { parseKernelSpec, specLabel } from '../../runner/vm/parse-kernel-spec.js'
import type { LabResult, RunEvent } from '../../runner/run/run-event.js'
import { splitMatrixFlags } from '../../runner/cli/run-matrix.js'
import { guestEntry } from '../../runner/vm/run-vm-cell.js'
import { parseShard, shardWork } from '../../runner/run/shard-work.js'
import { stretchLab } from '../../runner/vm/vm-guest.js'
import { failLab, labOf, passLab, runEvents } from '../fixtures/sample-run.js'

t.test('--shard K/N: every (cell, lab) pair in exactly one shard, shares within one of each other, cells kept together', async (t) => {
  const cells = ['bookworm/nft', 'bookworm/legacy', 'trixie/nft', 'trixie/legacy']
  const labs = ['a.md', 'b.md', 'c.md']
  for (let n = 1; n <= 14; n++) {
    const seen = new Map<string, number>()
    const sizes: number[] = []
    for (let k = 1; k <= n; k++) {
      const share = shardWork(cells, labs, { index: k, count: n })
      let size = 0
      const cellsHere = share.map((s) => s.cell)
      t.equal(new Set(cellsHere).size, cellsHere.length, `n=${n} k=${k}: a cell appears once, its labs together`)
      for (const { cell, labs: ls } of share) {
        for (const l of ls) {
          const key = `${cell} ${l}`
          seen.set(key, (seen.get(key) ?? 0) + 1)
          size++
        }
      }
      sizes.push(size)
      // A contiguous run of n pairs spans at most ceil(n/labs)+1 cells: as few VMs as can be.
      t.ok(share.length <= Math.ceil(size / labs.length) + 1, `n=${n} k=${k}: ${share.length} VMs for ${size} runs`)
    }
    t.equal(seen.size, cells.length * labs.length, `n=${n}: all ${cells.length * labs.length} pairs are run`)
    t.ok([...seen.values()].every((c) => c === 1), `n=${n}: none twice`)
    t.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n}: shares ${sizes.join(',')} are even`)
  }
  t.same(shardWork(cells, labs, { index: 2, count: 4 }), [{ cell: 'bookworm/legacy', labs: ['a.md', 'b.md', 'c.md'] }], '4 cells on 4 machines: a cell each')
  t.same(shardWork(cells, labs), cells.map((cell) => ({ cell, labs })), 'no --shard: everything')
})

t.test('parseShard takes K/N with 1 ≤ K ≤ N and says what is wrong otherwise', async (t) => {
  t.same(parseShard('2/5'), { index: 2, count: 5 })
  for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '1/2/3', '']) {
    t.throws(() => parseShard(bad), { code: 'USAGE', message: /--shard takes K\/N/ }, `"${bad}"`)
  }
})

t.test('a cell label carries the spec, uname -r and iptables -V, and reads back', async (t) => {
  const full = { spec: 'debian:bookworm', backend: 'nft' as const, release: '6.1.0-56-amd64', iptablesVersion: 'v1.8.9' }
  t.equal(cellLabel(full), 'debian:bookworm 6.1.0-56-amd64 iptables-nft v1.8.9')
  t.same(parseCellLabel(cellLabel(full)), full)
  t.equal(iptablesV(full), 'iptables v1.8.9 (nf_tables)')
  const noBoot = { spec: '/boot/my kernel', backend: 'legacy' as const }
  t.equal(cellLabel(noBoot), '/boot/my_kernel iptables-legacy', 'no boot: only what was asked; spaces kept out')
  t.same(parseCellLabel(cellLabel(noBoot)), { spec: '/boot/my_kernel', backend: 'legacy' })
  t.equal(cellKey(full), cellKey(noBoot).replace('/boot/my_kernel', 'debian:bookworm').replace('legacy', 'nft'), 'the key is spec and back end')
  t.equal(parseCellLabel('something else'), undefined)
})

t.test('the matrix: a row per lab, a column per cell, the worse result when a pair ran twice', async (t) => {
  const cell = (r: LabResult, label: string, status: LabResult['status'] = r.status): LabResult => ({ ...r, cell: label, status })
  const A = 'debian:bookworm 6.1.0-56-amd64 iptables-nft v1.8.9'
  const B = 'debian:trixie iptables-legacy'
  const results = [cell(passLab, A), cell(failLab, A), cell(passLab, B, 'error'), cell(failLab, B, 'pass'), cell(failLab, B, 'fail')]
  const m = buildMatrix(results)
  t.same(m.labs, [passLab.file, failLab.file])
  t.same(m.columns.map((c) => [c.key, c.passed]), [
    ['debian:bookworm iptables-nft', false],
    ['debian:trixie iptables-legacy', false],
  ])
  t.equal(m.status.get(`${failLab.file}\u0000debian:trixie iptables-legacy`), 'fail', 'fail beats pass')
  const text = matrixTable(results)
  t.match(text, /\[1\]\s+\[2\]/)
  t.match(text, new RegExp(`${passLab.file.replace(/\./g, '\\.')}\\s+✓\\s+!`))
  t.match(text, new RegExp(`${failLab.file.replace(/\./g, '\\.')}\\s+✗\\s+✗`))
  t.match(text, /\[1\] debian:bookworm iptables-nft {2}Linux 6\.1\.0-56-amd64, iptables v1\.8\.9 \(nf_tables\) {2}FAIL/)
  t.match(text, /\[2\] debian:trixie iptables-legacy {2}did not boot {2}FAIL/)
  t.match(text, /2 cells: 0 passed, 2 failed/)
  t.notMatch(text, /\x1b\[/, 'no color unless asked')
  t.match(matrixTable(results, { color: true }), /\x1b\[32m✓/)
  t.equal(matrixTable([]), '')
})

t.test('a lab skipped in a cell (its kernel lacks a module the lab needs): -, and the cell still passes', async (t) => {
  const A = 'debian:bookworm 6.1.0-56-amd64 iptables-nft v1.8.9'
  const skipped: LabResult = { ...failLab, cell: A, status: 'skip', blocks: [], skipped: `${failLab.file} needs the kernel module sch_netem (CONFIG_NET_SCH_NETEM), which …` }
  const results = [{ ...passLab, cell: A }, skipped]
  const m = buildMatrix(results)
  t.same(m.columns.map((c) => [c.key, c.passed]), [['debian:bookworm iptables-nft', true]])
  const text = matrixTable(results)
  t.match(text, new RegExp(`${failLab.file.replace(/\./g, '\\.')}\\s+-\n`))
  t.match(text, /\[1\] debian:bookworm iptables-nft {2}Linux 6\.1\.0-56-amd64, iptables v1\.8\.9 \(nf_tables\) {2}pass/)
  t.match(text, /1 cell: 1 passed/)
})

t.test('events go out as JSON lines and come back the same; anything else is not an event', async (t) => {
  const lines: string[] = []
  const r = createEventsReporter({ write: (l) => lines.push(l) })
  const events = runEvents([passLab, failLab])
  for (const e of events) r.onEvent(e)
  await r.close()
  t.equal(lines.length, events.length)
  t.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')), 'one line each')
  const back = lines.map((l) => readEventLine(l.trimEnd()))
  t.same(back, JSON.parse(JSON.stringify(events)) as RunEvent[])
  for (const junk of ['', 'nslab-vm: powering off', '{"type":"vm-info"}', '{"type":"lab-end"', '[1,2]', '{"type":7}']) {
    t.equal(readEventLine(junk), undefined, JSON.stringify(junk))
  }
})

t.test('the matrix options come out of argv; the rest is for nslab run', async (t) => {
  const f = splitMatrixFlags(['labs', '--kernel', 'debian:bookworm', '--kernel=debian:trixie', '--iptables', 'nft,legacy', '--iptables=nft', '--shard', '2/3', '--accel', 'tcg', '--vm-timeout', '90s', '-j', '2', '--json', 'r.json'])
  t.same(f.kernels, ['debian:bookworm', 'debian:trixie'])
  t.same(f.backends, ['nft', 'legacy'])
  t.same(f.shard, { index: 2, count: 3 })
  t.equal(f.accel, 'tcg')
  t.equal(f.vmTimeoutMs, 90_000)
  t.same(f.rest, ['labs', '-j', '2', '--json', 'r.json'])
  t.throws(() => splitMatrixFlags(['--iptables', 'ebtables']), { code: 'USAGE' })
  t.throws(() => splitMatrixFlags(['--accel', 'hvf']), { code: 'USAGE' })
  t.throws(() => splitMatrixFlags(['--kernel']), { code: 'USAGE', message: /--kernel needs a value/ })
})

t.test('kernel specs: a Debian suite, or an image and its modules', async (t) => {
  t.same(parseKernelSpec('debian:bookworm-backports'), { kind: 'debian', suite: 'bookworm-backports', text: 'debian:bookworm-backports' })
  t.same(parseKernelSpec('/k/bzImage:/k/mods'), { kind: 'image', image: '/k/bzImage', modules: '/k/mods', text: '/k/bzImage:/k/mods' })
  t.same(parseKernelSpec('./vmlinux'), { kind: 'image', image: './vmlinux', text: './vmlinux' })
  t.equal(specLabel(parseKernelSpec('/k/bzImage:/k/mods')), '/k/bzImage', 'reports name the image')
  t.throws(() => parseKernelSpec('debian:Bookworm!'), { code: 'USAGE', message: /not a Debian suite/ })
  t.throws(() => parseKernelSpec('ubuntu:noble'), { code: 'USAGE', message: /unknown kind of kernel "ubuntu"/ })
  t.throws(() => parseKernelSpec(' '), NslabError)
})

t.test('the Debian mirror comes from the machine\'s own apt sources, deb822 or one-line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-apt-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const deb822 = join(dir, 'a')
  mkdirSync(join(deb822, 'sources.list.d'), { recursive: true })
  writeFileSync(
    join(deb822, 'sources.list.d', 'debian.sources'),
    [
      'Types: deb',
      'URIs: http://mirror.example/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb',
      'URIs: http://mirror.example/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      '',
    ].join('\n'),
  )
  writeFileSync(join(deb822, 'sources.list.d', 'other.sources'), 'Types: deb\nURIs: https://vendor.example/apt\nSuites: nodistro\nComponents: main\n')
  t.same(debianMirror(deb822), { uri: 'http://mirror.example/debian', signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg', securityUri: 'http://mirror.example/debian-security' })
  const oneLine = join(dir, 'b')
  mkdirSync(oneLine)
  writeFileSync(join(oneLine, 'sources.list'), '# a comment\ndeb-src http://x.example/debian bookworm main\ndeb [arch=amd64] http://deb.example/debian/ bookworm main contrib\n')
  t.same(debianMirror(oneLine), { uri: 'http://deb.example/debian' })
  t.equal(debianMirror(join(dir, 'none')), undefined, 'no sources: no mirror')
})

t.test('a slower guest stretches step limits and check windows by its factor', async (t) => {
  const lab = labOf(failLab)
  const before = JSON.parse(JSON.stringify(lab)) as typeof lab
  stretchLab(lab, 4)
  t.equal(lab.timeoutMs, before.timeoutMs * 4)
  lab.blocks.forEach((b, i) => {
    const was = before.blocks[i]!
    if (b.kind === 'script' && was.kind === 'script') t.equal(b.timeoutMs, was.timeoutMs * 4)
    if (b.kind === 'check' && was.kind === 'check') t.same(b.checks.map((c) => c.withinMs), was.checks.map((c) => c.withinMs * 4))
  })
})

t.test('the guest program is one self-contained CommonJS file that runs with Node alone', async (t) => {
  // Under emulation Node's module loader costs seconds per dozens of files:
  // the VM runs dist/vm-guest.cjs, every module of nslab and its libraries inside.
  const entry = guestEntry()
  t.match(entry, /dist\/vm-guest\.cjs$/)
  const text = readFileSync(entry, 'utf8')
  const required = [...text.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]!)
  t.same(
    required.filter((r) => !r.startsWith('node:') && !builtinModules.includes(r)),
    [],
    'it requires nothing but Node\'s own modules',
  )
  t.notMatch(text, /\bimport\.meta\b|^\s*import\s.+\sfrom\s/m, 'no ES module syntax is left')
  // Run outside a VM without a job, it says how it is used and exits 2 (and touches nothing).
  const r = spawnSync(process.execPath, [entry], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, cwd: tmpdir() })
  t.equal(r.status, 2, r.stderr)
  t.match(r.stderr, /usage: vm-guest\.cjs JOB\.json/)
})
