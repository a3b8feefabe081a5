// Running the built nslab (dist/) as a learner would, each test with its own
// state folder, so tests never see each other's labs (nor a person's).
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CLI = join(ROOT, 'dist/bin/nslab.cjs')
export const FIXTURES = join(ROOT, 'test/fixtures/labs-learner')

/** The built CLI, or a clear reason why the test cannot run. */
export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.json)`)
}

export interface Learner {
  /** NSLAB_STATE_DIR of this learner. */
  state: string
  env: NodeJS.ProcessEnv
  /** Run nslab to its end. */
  nslab(args: string[], opts?: { timeoutMs?: number }): { code: number | null; stdout: string; stderr: string; ms: number }
  /** Start nslab and leave it running (to kill it). */
  start(args: string[]): ReturnType<typeof spawn>
  /** The session files of this learner. */
  sessions(): Record<string, { sandbox: { pid: number }; ready?: boolean; upPid?: number; passed: number[]; solved: number[] }>
  /** Take down whatever is left, remove the folder. */
  cleanup(): void
}

/**
 * A learner: a state folder of its own; with uid, a different user (setpriv),
 * whose folder and HOME are its own.
 */
export function learner(opts: { uid?: number } = {}): Learner {
  const base = mkdtempSync(join(tmpdir(), 'nslab-learner-'))
  const state = join(base, 'state')
  const asOther = opts.uid !== undefined && opts.uid !== process.getuid?.()
  if (asOther) chmodSync(base, 0o777)
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: base,
    LANG: 'C.UTF-8',
    NSLAB_STATE_DIR: state,
    NO_COLOR: '1',
  }
  // tap hooks every node it sees started (NODE_OPTIONS): nslab runs as a learner's would, without.
  const node = ['env', '-u', 'NODE_OPTIONS', process.execPath, CLI]
  const argv = (args: string[]) =>
    asOther
      ? { file: 'setpriv', args: [`--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', '--', ...node, ...args] }
      : { file: node[0]!, args: [...node.slice(1), ...args] }
  const l: Learner = {
    state,
    env,
    nslab(args, o = {}) {
      const a = argv(args)
      const t0 = performance.now()
      const r = spawnSync(a.file, a.args, { cwd: ROOT, env, encoding: 'utf8', timeout: o.timeoutMs ?? 60_000 })
      return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: performance.now() - t0 }
    },
    start(args) {
      const a = argv(args)
      return spawn(a.file, a.args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    },
    sessions() {
      const out: ReturnType<Learner['sessions']> = {}
      if (!existsSync(state)) return out
      for (const f of readdirSync(state)) {
        if (!f.endsWith('.json') || f.startsWith('.')) continue
        try {
          out[f.slice(0, -5)] = JSON.parse(readFileSync(join(state, f), 'utf8'))
        } catch {
          // being written
        }
      }
      return out
    },
    cleanup() {
      if (existsSync(state)) {
        l.nslab(['down', '--all'])
        l.nslab(['gc'])
      }
      rmSync(base, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
    },
  }
  return l
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Poll until fn gives a truthy value, or fail after timeoutMs. */
export async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}
