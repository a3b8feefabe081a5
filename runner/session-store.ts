import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Lab } from './lab.js'
import type { LabProse } from './lab-prose.js'
import type { SandboxHandle } from './sandbox.js'

/** A lab host that outlives the command that made it (nslab up, run --keep). */
export interface Session {
  name: string
  /** Absolute path of the lab file. */
  lab: string
  sandbox: SandboxHandle
  createdAt: number
  /** Indexes of check blocks passed (latched), and of those passed with `nslab solve`. */
  passed: number[]
  solved: number[]
  // Learner mode (nslab up) adds these; sessions without them are ready.
  /** The lab's title, for nslab status. */
  title?: string
  /** How many check blocks (tasks) the lab has. */
  checks?: number
  /** false while nslab up builds the host and runs setup. */
  ready?: boolean
  /** pid of the nslab up process while ready is false: a dead one means setup was cut short. */
  upPid?: number
  /** Start time (clock ticks after boot, /proc/PID/stat) of sandbox.pid: tells it from a later process with that pid. */
  sandboxStart?: number
  /** The parsed lab, reused while the file is unchanged, so that nslab check need not parse it. */
  labCache?: { mtimeMs: number; size: number; lab: Lab; prose?: LabProse }
}

/** Per-user folder of sessions; each user's own, so users never collide. */
export function sessionDir(): string {
  const uid = process.getuid?.() ?? 0
  const base = process.env.NSLAB_STATE_DIR ?? join(process.env.XDG_RUNTIME_DIR ?? '/tmp', `nslab-${uid}`)
  mkdirSync(base, { recursive: true, mode: 0o700 })
  return base
}

export function saveSession(s: Session): void {
  const dir = sessionDir()
  const tmp = join(dir, `.${s.name}.json.tmp`)
  writeFileSync(tmp, JSON.stringify(s, null, 2))
  renameSync(tmp, join(dir, `${s.name}.json`))
}

export function loadSession(name: string): Session | undefined {
  try {
    return JSON.parse(readFileSync(join(sessionDir(), `${name}.json`), 'utf8')) as Session
  } catch {
    return undefined
  }
}

export function listSessions(): Session[] {
  const dir = sessionDir()
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .map((f) => loadSession(f.slice(0, -5)))
    .filter((s): s is Session => s !== undefined)
    .sort((a, b) => a.createdAt - b.createdAt)
}

export function removeSession(name: string): void {
  rmSync(join(sessionDir(), `${name}.json`), { force: true })
}

export function sessionPath(name: string): string {
  return join(sessionDir(), `${name}.json`)
}

/** Save a new session under its name unless one exists: false when the name is taken. */
export function createSession(s: Session): boolean {
  try {
    writeFileSync(sessionPath(s.name), JSON.stringify(s, null, 2), { flag: 'wx', mode: 0o600 })
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
}

/** Temporary files a killed save left behind (.NAME.json.tmp). */
export function leftoverSessionFiles(): string[] {
  const dir = sessionDir()
  return readdirSync(dir)
    .filter((f) => f.startsWith('.') && f.endsWith('.json.tmp'))
    .map((f) => join(dir, f))
}
