import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Lab, LabLang } from '../lab/lab.js'
import { NslabError } from '../util/nslab-error.js'
import type { LabProse } from './lab-prose.js'
import type { SandboxHandle } from '../host/sandbox.js'

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
  /** The lab's language when it is not English (front matter lang:), for nslab status. */
  lang?: LabLang
  /** How many check blocks (tasks) the lab has. */
  checks?: number
  /** false while nslab up builds the host and runs setup. */
  ready?: boolean
  /** pid of the nslab up process while ready is false: a dead one means setup was cut short. */
  upPid?: number
  /** Start time (clock ticks after boot, /proc/PID/stat) of sandbox.pid: tells it from a later process with that pid. */
  sandboxStart?: number
  /** The progress last written into the lab host for the lab shell's prompt. */
  progressShown?: string
  /** The parsed lab, reused while the file is unchanged, so that nslab check need not parse it. */
  labCache?: { mtimeMs: number; size: number; lab: Lab; prose?: LabProse }
}

/**
 * Per-user folder of sessions; each user's own, so users never collide.
 * A session file names the commands nslab runs for its owner (the lab host
 * to enter), so the folder must be theirs alone: like tmux and ssh-agent,
 * nslab makes it with mode 0700, and uses one that exists only when it is a
 * real folder (not a link) owned by this user that nobody else can open. A
 * folder someone else left at that path (/tmp is everyone's) is refused.
 */
export function sessionDir(): string {
  const uid = process.getuid?.() ?? 0
  const explicit = process.env.NSLAB_STATE_DIR
  // Without a trailing slash: lstat of "link/" would look through the link.
  const base = (explicit || join(process.env.XDG_RUNTIME_DIR || '/tmp', `nslab-${uid}`)).replace(/(.)\/+$/, '$1')
  const refuse = (why: string): never => {
    throw new NslabError({
      // A setting of the user's (NSLAB_STATE_DIR) is bad usage; a folder at the default place, the machine's state.
      code: explicit ? 'USAGE' : 'PREREQUISITE',
      message: `nslab will not keep its sessions in ${base}: ${why}`,
      fix: explicit
        ? `set NSLAB_STATE_DIR to a folder of your own that only you can open (chmod 700), or unset it`
        : `remove ${base} (as its owner, or root) if it is not yours, or set NSLAB_STATE_DIR to a folder of your own`,
    })
  }
  // mkdir(2) makes the folder itself with 0700 and never follows a link at its place (EEXIST).
  const made = (): string | undefined => {
    try {
      mkdirSync(base, { mode: 0o700 })
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') return code ?? 'EIO'
    }
    return undefined
  }
  let failed = made()
  if (failed === 'ENOENT' && explicit) {
    // NSLAB_STATE_DIR may name a folder in folders yet to make.
    try {
      mkdirSync(dirname(base), { recursive: true, mode: 0o700 })
      failed = made()
    } catch (e) {
      failed = (e as NodeJS.ErrnoException).code ?? 'EIO'
    }
  }
  if (failed) refuse(`it cannot be made (${failed})`)
  let st
  try {
    st = lstatSync(base)
  } catch (e) {
    return refuse(`it cannot be read (${(e as Error).message})`)
  }
  if (st.isSymbolicLink()) refuse('it is a symbolic link, which anyone could have made to point elsewhere')
  if (!st.isDirectory()) refuse('it is not a folder')
  if (st.uid !== uid) refuse(`it belongs to uid ${st.uid}, not to you (uid ${uid}): whoever made it could plant sessions that nslab would run for you`)
  if ((st.mode & 0o077) !== 0) refuse(`others may use it (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, not 0700)`)
  return base
}

export function saveSession(s: Session): void {
  const dir = sessionDir()
  const tmp = join(dir, `.${s.name}.json.tmp`)
  writeFileSync(tmp, JSON.stringify(s, null, 2))
  renameSync(tmp, join(dir, `${s.name}.json`))
}

export function loadSession(name: string): Session | undefined {
  // A refused session folder is said, not taken for "no such session".
  const file = join(sessionDir(), `${name}.json`)
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Session
  } catch {
    return undefined
  }
}

/** The names of the sessions kept, from their files' names (none read). */
export function sessionNames(): string[] {
  return readdirSync(sessionDir())
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .map((f) => f.slice(0, -5))
}

export function listSessions(): Session[] {
  return sessionNames()
    .map((name) => loadSession(name))
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
