// What the tests of engine: docker share: whether this machine can run it,
// the built CLI run with the machine's own image cache (a test's HOME is its
// own folder, and the images take minutes to build), and what must be gone
// after a docker-engine lab host.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findProgram } from '../../runner/host/require-programs.js'
import { nslabCacheDir } from '../../runner/host/docker/image-cache.js'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CLI = join(ROOT, 'dist/bin/nslab.cjs')

/** Why engine: docker cannot be tested here, or false when it can. */
export function dockerSkip(): string | false {
  if (process.getuid?.() !== 0) return 'engine: docker runs as root only'
  for (const p of ['dockerd', 'docker', 'containerd', 'runc', 'mmdebstrap']) if (!findProgram(p)) return `${p} is not installed (bash test/setup.sh --test)`
  if (!existsSync(CLI)) return `${CLI} is missing: npm run build`
  return false
}

/** The environment of a CLI run: clean, the machine's own image cache, a state folder of the test's. */
export function cliEnv(state: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: state,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    NSLAB_STATE_DIR: state,
    NSLAB_CACHE: process.env.NSLAB_CACHE ?? nslabCacheDir(),
    ...extra,
  }
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/** Run the built nslab to its end (tap's NODE_OPTIONS hooks every node it sees: not this one). */
export function nslab(args: string[], state: string, opts: { timeoutMs?: number; input?: string; env?: Record<string, string> } = {}): CliResult {
  const t0 = performance.now()
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], {
    cwd: ROOT,
    env: cliEnv(state, opts.env),
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 600_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  })
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: performance.now() - t0 }
}

/** Start the built nslab and leave it running (to kill it). */
export function startNslab(args: string[], state: string): ChildProcess {
  return spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI, ...args], { cwd: ROOT, env: cliEnv(state), stdio: 'ignore' })
}

/** The cgroup folders of docker-engine lab hosts an nslab process (pid) made, wherever they are. */
export function dockerCgroupsOf(pid: number): string[] {
  return cgroupsNamed(`nslab-docker-${pid}-`, ['nslab-docker-'])
}

/**
 * Cgroup folders whose names start with `prefix`, in every hierarchy, down to six levels;
 * not looked into: those found, and folders whose names start with one of `skip`.
 */
export function cgroupsNamed(prefix: string, skip: string[] = []): string[] {
  const found: string[] = []
  const walk = (dir: string, depth: number) => {
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue
      if (e.name.startsWith(prefix)) found.push(join(dir, e.name))
      else if (depth < 6 && !skip.some((s) => e.name.startsWith(s))) walk(join(dir, e.name), depth + 1)
    }
  }
  walk('/sys/fs/cgroup', 0)
  return found
}

/** Processes in a cgroup folder and those below it. */
export function procsIn(dir: string): number[] {
  const out: number[] = []
  const walk = (d: string) => {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (/^\d+$/.test(l)) out.push(Number(l))
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name))
    } catch {
      // gone
    }
  }
  walk(dir)
  return out
}

export async function until(what: () => boolean, ms = 30_000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (what()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return what()
}
