// package.json's bin (dist/bin/nslab.cjs, made by scripts/build-bin.mjs):
// --version from itself, help from the code-split ES modules, `run` from a
// CommonJS file of its own and every other command from the whole CLI's, each
// compiled with the code cache made at build time; a cache this Node does not
// accept (another Node, a damaged file) is only slower, never wrong.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../helpers/learner-cli.js'

const BIN = join(ROOT, 'dist/bin/nslab.cjs')
const env = { ...process.env, NODE_OPTIONS: '', NSLAB_DEBUG: 'code-cache', NO_COLOR: '1' }
const nslab = (bin: string, args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', cwd: ROOT, timeout: 60_000 })

t.test('a command: the one file, from the code cache made at build time', async (t) => {
  const r = nslab(BIN, ['lint', 'labs/snat-outbound.md'])
  t.equal(r.status, 0, r.stderr)
  t.match(r.stderr, /^nslab: code cache accepted \(nslab-main\.cache\)$/m)
  t.match(r.stdout, /valid/)
})

t.test('a command that runs a lab host: from the cache made by a run at build time', async (t) => {
  // The build could run a lab (as the suite does): the cache is there.
  t.ok(existsSync(join(ROOT, 'dist/bin/nslab-main.run.cache')), 'the build made it')
  t.ok(existsSync(join(ROOT, 'dist/bin/nslab-run.cache')), "and run's own")
  for (const cmd of ['run', 'check', 'prove', 'up']) {
    const r = nslab(BIN, [cmd, '--help'])
    t.equal(r.status, 0, r.stderr)
    t.match(r.stderr, cmd === 'run' ? /^nslab: code cache accepted \(nslab-run\.cache\)$/m : /^nslab: code cache accepted \(nslab-main\.run\.cache\)$/m, `nslab ${cmd}`)
  }
})

t.test("nslab run from a file of its own: what the whole CLI's run does, from less code", async (t) => {
  const alone = join(ROOT, 'dist/bin/nslab-run.cjs')
  const whole = join(ROOT, 'dist/bin/nslab-main.cjs')
  t.ok(statSync(alone).size < statSync(whole).size * 0.7, `smaller: ${statSync(alone).size} bytes against ${statSync(whole).size}`)
  // Either file runs as a CommonJS module of its own (the launcher only adds the cache).
  const by = (file: string, args: string[]) => spawnSync(process.execPath, [file, ...args], { env: { ...env, NSLAB_DEBUG: '' }, encoding: 'utf8', cwd: ROOT, timeout: 60_000 })
  for (const args of [['run', '--help'], ['run', '--no-such-flag'], ['run', 'labs/no-such-lab.md']]) {
    const a = by(alone, args)
    const w = by(whole, args)
    t.equal(a.status, w.status, `${args.join(' ')}: the same exit`)
    t.equal(a.stdout, w.stdout, `${args.join(' ')}: the same stdout`)
    t.equal(a.stderr, w.stderr, `${args.join(' ')}: the same stderr`)
  }
  // A lab run by each: the same results (what they say, their times and ping's round trips apart).
  const dir = mkdtempSync(join(tmpdir(), 'nslab-run-file-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const lab = join(dir, 'small-bridge.md')
  writeFileSync(lab, ['---', 'title: small bridge', 'topology:', '  docker: true', '  containers: [box1, box2]', '  internet: true', '---', '', '```sh step', 'ip netns exec box1 ping -c 1 -W 1 172.17.0.3 >/dev/null', '```', '', '```check', 'ping box1 box2', 'ping box1 internet', 'route box1 default via 172.17.0.1', 'rule nat POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE', 'policy filter FORWARD DROP', 'sysctl host net.ipv4.ip_forward 1', '```', ''].join('\n'))
  const said = (file: string) => {
    const r = by(file, ['run', '--json', '-', lab])
    t.equal(r.status, 0, r.stderr)
    const report = JSON.parse(r.stdout) as { summary: unknown; labs: { status: string; blocks: { label: string; status: string; checks?: { sentence: string; ok: boolean }[] }[] }[] }
    return { summary: report.summary, labs: report.labs.map((l) => ({ status: l.status, blocks: l.blocks.map((b) => ({ label: b.label, status: b.status, checks: (b.checks ?? []).map((c) => [c.ok, c.sentence]) })) })) }
  }
  const ran = said(alone)
  t.equal(ran.labs[0]?.status, 'pass')
  t.same(ran, said(whole), 'the same report of a run')
  // Anything but run is the whole CLI's: the run file refuses it rather than answer otherwise.
  const other = by(alone, ['lint', lab])
  t.not(other.status, 0, 'a lint asked of the run file fails')
  t.match(other.stderr, /run-cli: not a run/)
})

t.test('--version and help load neither the one file nor its cache', async (t) => {
  for (const args of [['--version'], ['--help'], ['help'], []]) {
    const r = nslab(BIN, args)
    t.notMatch(r.stderr, /code cache/, `nslab ${args.join(' ')}`)
    t.match(r.stdout, args[0] === '--version' ? /^\d+\.\d+\.\d+\n$/ : /^nslab — /, `nslab ${args.join(' ')} answers`)
  }
})

t.test('a cache this Node rejects, or none: the same answers, compiled as usual', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-launcher-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // A package of its own: the bundle finds its root by the package.json above it.
  mkdirSync(join(dir, 'dist/bin'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{"name":"nslab","version":"0.0.0"}\n')
  for (const f of ['nslab.cjs', 'nslab-main.cjs', 'nslab-run.cjs']) copyFileSync(join(ROOT, 'dist/bin', f), join(dir, 'dist/bin', f))
  const bin = join(dir, 'dist/bin/nslab.cjs')
  const lab = join(ROOT, 'labs/snat-outbound.md')
  const none = nslab(bin, ['lint', lab])
  t.equal(none.status, 0, none.stderr)
  t.match(none.stderr, /^nslab: code cache absent$/m)
  writeFileSync(join(dir, 'dist/bin/nslab-main.cache'), Buffer.alloc(4096, 7))
  const bad = nslab(bin, ['lint', lab])
  t.equal(bad.status, 0, bad.stderr)
  t.match(bad.stderr, /^nslab: code cache rejected \(nslab-main\.cache\)$/m)
  // No run's cache: a prove reads the lint's; run's own file has none to fall back on.
  const prove = nslab(bin, ['prove', '--help'])
  t.equal(prove.status, 0, prove.stderr)
  t.match(prove.stderr, /^nslab: code cache rejected \(nslab-main\.cache\)$/m, 'a prove falls back on the lint\'s cache')
  const run = nslab(bin, ['run', '--help'])
  t.equal(run.status, 0, run.stderr)
  t.match(run.stderr, /^nslab: code cache absent$/m, 'a run compiles as usual')
  t.equal(run.stdout, nslab(BIN, ['run', '--help']).stdout, 'the same help')
  t.equal(bad.stdout, none.stdout, 'the same lint')
  const good = nslab(BIN, ['lint', lab])
  t.equal(good.stdout, none.stdout, 'as from the cache')
})

t.test('typed, node starts without NODE_EXTRA_CA_CERTS (it would read every certificate first); node run by hand reads it', async (t) => {
  // A file that is not there: node says so on stderr as it starts, whenever it reads the variable.
  const certs = join(tmpdir(), `nslab-no-such-certs-${process.pid}.pem`)
  const withCerts = { ...env, NODE_EXTRA_CA_CERTS: certs }
  const lab = join(ROOT, 'labs/snat-outbound.md')
  const typed = spawnSync(BIN, ['lint', lab], { env: withCerts, encoding: 'utf8', cwd: ROOT, timeout: 60_000 })
  t.equal(typed.status, 0, typed.stderr)
  t.notMatch(typed.stderr, /extra certs/, 'the launcher, as sh: node never read it')
  const byHand = spawnSync(process.execPath, [BIN, 'lint', lab], { env: withCerts, encoding: 'utf8', cwd: ROOT, timeout: 60_000 })
  t.equal(byHand.status, 0, byHand.stderr)
  t.match(byHand.stderr, new RegExp(`Ignoring extra certs from \`${certs}\``), 'node dist/bin/nslab.cjs: node reads it (so the first can fail)')
  t.equal(typed.stdout, byHand.stdout, 'the same lint')
})
