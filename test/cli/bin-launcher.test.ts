// package.json's bin (dist/bin/nslab.cjs, made by scripts/build-bin.mjs):
// --version from itself, help from the code-split ES modules, every other
// command from the one CommonJS file compiled with the code cache made at
// build time; a cache this Node does not accept (another Node, a damaged
// file) is only slower, never wrong.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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
  for (const cmd of ['run', 'check', 'prove', 'up']) {
    const r = nslab(BIN, [cmd, '--help'])
    t.equal(r.status, 0, r.stderr)
    t.match(r.stderr, /^nslab: code cache accepted \(nslab-main\.run\.cache\)$/m, `nslab ${cmd}`)
  }
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
  for (const f of ['nslab.cjs', 'nslab-main.cjs']) copyFileSync(join(ROOT, 'dist/bin', f), join(dir, 'dist/bin', f))
  const bin = join(dir, 'dist/bin/nslab.cjs')
  const lab = join(ROOT, 'labs/snat-outbound.md')
  const none = nslab(bin, ['lint', lab])
  t.equal(none.status, 0, none.stderr)
  t.match(none.stderr, /^nslab: code cache absent$/m)
  writeFileSync(join(dir, 'dist/bin/nslab-main.cache'), Buffer.alloc(4096, 7))
  const bad = nslab(bin, ['lint', lab])
  t.equal(bad.status, 0, bad.stderr)
  t.match(bad.stderr, /^nslab: code cache rejected \(nslab-main\.cache\)$/m)
  // No run's cache: a run reads the lint's.
  const run = nslab(bin, ['run', '--help'])
  t.equal(run.status, 0, run.stderr)
  t.match(run.stderr, /^nslab: code cache rejected \(nslab-main\.cache\)$/m, 'a run falls back on the lint\'s cache')
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
