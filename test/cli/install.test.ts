// nslab as an installed command, tried as a new user would: `npm pack` of a
// checkout, `npm install -g` of the tarball into a prefix (as root, and as an
// ordinary user into ~/.local), and `npm install -g` of a checkout that has
// never been built; then, from an empty folder, the commands the README
// promises. Everything goes into a folder of this test's own, removed at the
// end; npm reads the registry only for what its cache lacks.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import t, { type Test } from 'tap'
import { ROOT } from '../helpers/learner-cli.js'

// Four npm installs and a build from nothing: on a loaded machine the file's 15 minutes are not enough.
t.setTimeout(1_800_000)

const work = mkdtempSync(join(tmpdir(), 'nslab-install-'))
chmodSync(work, 0o755)
t.teardown(() => rmSync(work, { recursive: true, force: true }))

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string }; files: string[] }
const NODE_DIR = dirname(process.execPath)
/** This test's environment without npm's own settings (npm test sets some) and tap's hooks. */
const baseEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_|^NODE_OPTIONS$|^NO_COLOR$|^FORCE_COLOR$/i.test(k)))
const NPM_QUIET = ['--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=error']

function run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(file, args, { cwd: opts.cwd ?? work, env: { ...baseEnv, ...opts.env }, encoding: 'utf8', timeout: opts.timeout ?? 300_000 })
}
const said = (r: SpawnSyncReturns<string>) => `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${r.stdout}\n${r.stderr}`

/** The checkout's files as git has them (and new ones not ignored), without node_modules and dist. */
function copyCheckout(to: string): void {
  const listed = run('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT })
  const files = listed.status === 0 ? listed.stdout.split('\0').filter(Boolean) : []
  if (files.length === 0) {
    // Not a git checkout (an unpacked archive): what a build needs.
    for (const p of ['runner', 'checks', 'labs', 'docs', 'scripts', 'package.json', 'package-lock.json', 'README.md', 'tsconfig.json']) cpSync(join(ROOT, p), join(to, p), { recursive: true })
    return
  }
  for (const f of files) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(to, f), { recursive: true })
}

/** A lab file of a lab author's own. */
const MY_LAB = ['---', 'title: My lab', 'topology:', '  docker: true', '  containers: [box1]', '---', '', '```sh step', 'ip netns exec box1 ping -c 1 172.17.0.1', '```', '', '```check', 'stdout "1 received"', 'ping box1 host', '```', ''].join('\n')

let tarball = ''

t.test('npm pack of a checkout builds nslab and packs the command, the library, its labs and docs', async (t) => {
  const src = join(work, 'src')
  mkdirSync(src)
  copyCheckout(src)
  t.notOk(existsSync(join(src, 'dist')), 'the copy has never been built')
  // As after npm ci: the checkout's node_modules (linked: the build reads it, writes nothing there).
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'))
  const r = run('npm', ['pack', '--pack-destination', work, ...NPM_QUIET], { cwd: src })
  t.equal(r.status, 0, said(r))
  tarball = join(work, `nslab-${pkg.version}.tgz`)
  t.ok(existsSync(tarball), 'the tarball')
  t.ok(existsSync(join(src, 'dist/bin/nslab.js')) && existsSync(join(src, 'dist/bin/nslab.cjs')), 'prepare built the bundle and its first file')
  t.ok(existsSync(join(src, 'dist/runner/api/index.d.ts')), 'and the library with its types (package.json exports)')
  const list = run('tar', ['tzvf', tarball]).stdout
  const files = list.split('\n').map((l) => l.split(/\s+/).pop() ?? '')
  for (const f of ['dist/bin/nslab.cjs', 'dist/bin/nslab.js', 'dist/bin/grade-worker.js', 'dist/vm-guest.cjs', 'dist/runner/api/index.js', 'dist/runner/api/index.d.ts', 'labs/snat-outbound.md', 'docs/first-lab.md', 'docs/reference.md', 'docs/ci/github-actions.yml', 'README.md', 'package.json']) {
    t.ok(files.includes(`package/${f}`), `it holds ${f}`)
  }
  t.notOk(files.some((f) => /^package\/(runner|checks|test|node_modules|bench)\//.test(f)), 'and no sources, tests or node_modules')
  t.match(list, /^-rwxr-xr-x .* package\/dist\/bin\/nslab\.cjs$/m, 'the command is executable')
  const head = run('tar', ['xzOf', tarball, 'package/dist/bin/nslab.cjs']).stdout.split('\n')[0]
  t.equal(head, '#!/bin/sh', 'and starts with its #! line (sh: nslab check may not need node, runner/cli/session-agent.ts)')
  t.match(pkg.engines.node, />=\s*20/, 'package.json says Node.js 20 or newer')
})

/** nslab by name, from PATH, in a folder: as a user types it. */
function nslabAt(bin: string, cwd: string, env: NodeJS.ProcessEnv = {}) {
  return (args: string[]) => run('nslab', args, { cwd, env: { PATH: `${bin}:${NODE_DIR}:/usr/sbin:/usr/bin:/sbin:/bin`, NO_COLOR: '1', ...env } })
}

/** What the README promises from an empty folder, after npm install -g. */
function fromAnEmptyFolder(t: Test, nslab: (args: string[]) => SpawnSyncReturns<string>, cwd: string): void {
  const v = nslab(['--version'])
  t.equal(v.stdout, `${pkg.version}\n`, `nslab --version ${said(v)}`)
  const labs = nslab(['labs'])
  t.equal(labs.status, 0, said(labs))
  for (const name of ['container-to-container', 'dnat-port-forward', 'snat-outbound']) t.match(labs.stdout, new RegExp(`^  ${name} `, 'm'), `nslab labs lists ${name}`)
  const nothing = nslab(['run'])
  t.equal(nothing.status, 2)
  t.match(nothing.stderr, /^nslab: no labs\/ folder here: .*\n$/, 'nslab run alone: one line saying what to do')
  writeFileSync(join(cwd, 'my-lab.md'), MY_LAB)
  const lint = nslab(['lint', 'my-lab.md'])
  t.equal(lint.stdout, '1 lab valid\n', `nslab lint my-lab.md ${said(lint)}`)
  const help = nslab(['help', 'run'])
  t.match(help.stdout, /^Usage: nslab run /, 'nslab help run')
  const snat = nslab(['run', 'snat-outbound'])
  t.equal(snat.status, 0, `nslab run snat-outbound ${said(snat)}`)
  t.match(snat.stdout, /1 lab: 1 passed/)
  const mine = nslab(['run', 'my-lab.md'])
  t.equal(mine.status, 0, `nslab run my-lab.md ${said(mine)}`)
}

t.test('npm install -g --prefix of the tarball: nslab from any folder', async (t) => {
  if (!tarball) return t.skip('no tarball', () => {})
  const prefix = join(work, 'root')
  const r = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', ...NPM_QUIET, tarball])
  t.equal(r.status, 0, said(r))
  const bin = join(prefix, 'bin')
  t.ok(lstatSync(join(bin, 'nslab')).isSymbolicLink(), 'npm linked the command')
  t.equal(readlinkSync(join(bin, 'nslab')), '../lib/node_modules/nslab/dist/bin/nslab.cjs')
  const empty = join(work, 'empty')
  mkdirSync(empty)
  fromAnEmptyFolder(t, nslabAt(bin, empty, { NSLAB_STATE_DIR: join(work, 'state') }), empty)
  const up = nslabAt(bin, empty, { NSLAB_STATE_DIR: join(work, 'state') })(['up', 'container-to-container'])
  t.equal(up.status, 0, `nslab up by name ${said(up)}`)
  // Through npm's link, nslab check reaches the agent nslab up started (its socket there once it listens).
  for (const end = Date.now() + 10_000; !existsSync(join(work, 'state/agent.sock')) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50))
  const check = nslabAt(bin, empty, { NSLAB_STATE_DIR: join(work, 'state') })(['check'])
  t.match(check.stdout, /Task 1 of \d+/, `nslab check ${said(check)}`)
  t.equal(nslabAt(bin, empty, { NSLAB_STATE_DIR: join(work, 'state') })(['down', '--all']).status, 0)
})

t.test('as an ordinary user: npm install -g --prefix ~/.local', async (t) => {
  if (!tarball) return t.skip('no tarball', () => {})
  if (process.getuid?.() !== 0) return t.skip('the test runs as an ordinary user already: the test above was it', () => {})
  const uid = 65534
  const home = join(work, 'home')
  mkdirSync(home)
  chownSync(home, uid, uid)
  // The user's own npm cache, filled by the same install done first as root into a scratch prefix: npm resolves
  // the tarball's ranges afresh (not by the lockfile), so only that install knows which versions it will want
  // (a dependency released since the lockfile was written is one of them).
  const cache = join(work, 'user-cache')
  const add = run('npm', ['install', '-g', '--prefix', join(work, 'cache-filler'), '--cache', cache, '--prefer-offline', ...NPM_QUIET, tarball])
  t.equal(add.status, 0, `npm install to fill the cache ${said(add)}`)
  run('chown', ['-R', `${uid}:${uid}`, cache])
  chmodSync(tarball, 0o644)
  const as = (args: string[], cwd = home, path = '/usr/bin:/bin') =>
    spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', 'env', '-i', `PATH=${path}:${NODE_DIR}`, `HOME=${home}`, 'LANG=C.UTF-8', 'NO_COLOR=1', `NSLAB_STATE_DIR=${join(home, 'state')}`, ...args], { cwd, encoding: 'utf8', timeout: 300_000 })
  const r = as(['npm', 'install', '-g', '--prefix', join(home, '.local'), '--cache', cache, '--offline', ...NPM_QUIET, tarball])
  t.equal(r.status, 0, said(r))
  const local = join(home, '.local/bin')
  const nslab = (args: string[]) => as(['nslab', ...args], home, `${local}:/usr/sbin:/usr/bin:/sbin:/bin`)
  t.equal(nslab(['--version']).stdout, `${pkg.version}\n`, 'nslab from ~/.local/bin')
  const lint = nslab(['lint', 'snat-outbound'])
  t.equal(lint.stdout, '1 lab valid\n', said(lint))
  const snat = nslab(['run', 'snat-outbound'])
  t.equal(snat.status, 0, `nslab run snat-outbound as uid ${uid} ${said(snat)}`)
})

t.test('npm install -g of a checkout that was never built: npm builds it (installing its build tools first)', async (t) => {
  const checkout = join(work, 'checkout')
  mkdirSync(checkout)
  copyCheckout(checkout)
  t.notOk(existsSync(join(checkout, 'node_modules')), 'no node_modules: as git clone leaves it')
  const prefix = join(work, 'linked')
  const r = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', ...NPM_QUIET, checkout], { timeout: 600_000 })
  t.equal(r.status, 0, said(r))
  t.ok(existsSync(join(checkout, 'dist/bin/nslab.js')), 'the checkout is built')
  t.ok(existsSync(join(checkout, 'dist/runner/api/index.js')), 'the library too')
  const empty = join(work, 'empty-linked')
  mkdirSync(empty)
  const nslab = nslabAt(join(prefix, 'bin'), empty)
  t.equal(nslab(['--version']).stdout, `${pkg.version}\n`)
  const labs = nslab(['labs'])
  t.match(labs.stdout, /^ {2}snat-outbound /m, said(labs))
  writeFileSync(join(empty, 'my-lab.md'), MY_LAB)
  t.equal(nslab(['lint', 'my-lab.md']).stdout, '1 lab valid\n')
})
