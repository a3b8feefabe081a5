// Running the built nslab as root or as an ordinary user, the way a person
// would, for the attack suite (test/attack/). The one place that knows where
// the CLI is: the lead may move it.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** The built command line, relative to an app folder (the checkout, or a copy others can read). */
export const CLI = 'dist/bin/nslab.cjs'
export const isRoot = process.getuid?.() === 0
/** The ordinary user the tests become when they run as root. */
export const OTHER_UID = 65534

/** Who runs nslab: the machine's root, or an ordinary user (uid 65534, or the test's own user when it is not root). */
export type As = 'root' | 'user'

/** The variants this machine can run: as root only when the test is root. */
export const PEOPLE: As[] = isRoot ? ['root', 'user'] : ['user']

/** The uid nslab runs as for `as`. */
export function uidOf(as: As): number {
  if (as === 'root') return 0
  return isRoot ? OTHER_UID : (process.getuid?.() ?? OTHER_UID)
}

/** Whether nslab runs as another user than this test (through setpriv). */
const switches = (as: As) => as === 'user' && isRoot

/** The built CLI, or a clear reason why the test cannot run. */
export function requireBuild(): void {
  if (!existsSync(join(ROOT, CLI))) throw new Error(`${join(ROOT, CLI)} is missing: build first (npm run build)`)
}

let copy: string | undefined
/**
 * An app folder uid 65534 can read: the checkout when it is readable by
 * everyone, else a copy of what nslab needs at run time (as
 * test/teardown.test.ts makes it), removed when the test process ends.
 */
export function appFor(as: As): string {
  if (!switches(as)) return ROOT
  const probe = spawnSync('setpriv', [`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups', '--', 'test', '-r', join(ROOT, CLI)])
  const deps = spawnSync('setpriv', [`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups', '--', 'test', '-r', join(ROOT, 'node_modules/yaml/package.json')])
  if (probe.status === 0 && deps.status === 0) return ROOT
  if (copy) return copy
  const base = mkdtempSync(join(tmpdir(), 'nslab-attack-app-'))
  chmodSync(base, 0o755)
  const app = join(base, 'app')
  for (const part of ['dist', 'package.json', 'labs']) cpSync(join(ROOT, part), join(app, part), { recursive: true })
  const prod = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
  for (const p of prod.slice(1)) {
    const rel = relative(ROOT, p)
    if (rel.startsWith('node_modules')) cpSync(p, join(app, rel), { recursive: true })
  }
  spawnSync('chmod', ['-R', 'a+rX', base])
  process.once('exit', () => rmSync(base, { recursive: true, force: true }))
  copy = app
  return app
}

export interface NslabResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

export interface NslabOptions {
  /** NSLAB_STATE_DIR and HOME of this run (a folder the user can write). */
  home: string
  /** Open this file on descriptor 201 (append) before nslab starts, as a caller that leaks it would. */
  fd201?: string
  timeoutMs?: number
}

/** argv that runs nslab ARGS as `as`, with a clean environment (tap's NODE_OPTIONS hooks every node). */
export function nslabArgv(as: As, args: string[], o: NslabOptions): string[] {
  const app = appFor(as)
  const env = ['env', '-i', `PATH=${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, `HOME=${o.home}`, `NSLAB_STATE_DIR=${join(o.home, 'state')}`, 'NO_COLOR=1', 'LANG=C.UTF-8']
  const node = [...env, process.execPath, join(app, CLI), ...args]
  const who = switches(as) ? ['setpriv', `--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups', '--', ...node] : node
  // The descriptor is opened by the caller (root here), then handed down: the user could not open the file itself.
  return o.fd201 ? ['bash', '-c', 'exec 201>>"$0" && exec "$@"', o.fd201, ...who] : who
}

/** Run nslab to its end (asynchronously: the test's listener keeps answering meanwhile). */
export function nslab(as: As, args: string[], o: NslabOptions): Promise<NslabResult> {
  const argv = nslabArgv(as, args, o)
  const t0 = performance.now()
  const child = spawn(argv[0]!, argv.slice(1), { cwd: appFor(as), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000)
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 })
    })
  })
}

/** A folder for one scenario: readable by the user nslab runs as, its state folder writable by it; removed by cleanup. */
export function scratch(as: As): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-attack-'))
  chmodSync(dir, 0o755)
  if (switches(as)) {
    const home = join(dir, 'home')
    spawnSync('install', ['-d', '-o', String(OTHER_UID), '-g', String(OTHER_UID), '-m', '0700', home, join(home, 'state')])
  } else {
    spawnSync('install', ['-d', '-m', '0700', join(dir, 'home'), join(dir, 'home', 'state')])
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }) }
}
