// What every learner command needs of a session: find it by name (or the
// only one up), tell whether its lab host is still ours and alive, reach
// the host, and the lab it runs (parsed once, then cached in the session).
import { readFileSync, statSync } from 'node:fs'
import { processInfo } from '../host/exec.js'
import type { Lab } from '../lab/lab.js'
import { formatProblem } from '../lab/lab-problem.js'
import { labSizeProblem } from '../lab/lab-text-limits.js'
import { NslabError } from '../util/nslab-error.js'
import { attachSandbox, type Sandbox } from '../host/sandbox.js'
import { SANDBOX_DIR } from '../host/sandbox-paths.js'
import { listSessions, loadSession, saveSession, type Session } from './session-store.js'

export type SessionState =
  /** The lab host is up and set up. */
  | 'up'
  /** nslab up is still building it. */
  | 'starting'
  /** nslab up was killed before setup ended; the host may still be running. */
  | 'interrupted'
  /** The lab host is gone (killed, or the machine rebooted). */
  | 'gone'

/** A session's name: a file name and a hostname, so letters, digits, - _ . only. */
export function checkSessionName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw new NslabError({ code: 'USAGE', message: `"${name}" cannot name a lab: use letters, digits, - _ . (up to 63)` })
  }
  return name
}

/** The session named, or the only one up; a clear error otherwise. */
export function resolveSession(name: string | undefined): Session {
  if (name !== undefined) {
    checkSessionName(name)
    const s = loadSession(name)
    if (s) return s
    const names = listSessions().map((x) => x.name)
    throw new NslabError({
      code: 'NOT_FOUND',
      message: `no lab named "${name}" is up${names.length ? ` (up: ${names.join(', ')})` : ''}`,
      fix: names.length ? `nslab status lists them` : 'nslab up LAB starts one',
    })
  }
  const all = listSessions()
  const [only] = all
  if (all.length === 1 && only) return only
  if (all.length === 0) throw new NslabError({ code: 'NOT_FOUND', message: 'no lab is up', fix: 'nslab up LAB starts one (e.g. nslab up labs/snat-outbound.md)' })
  throw new NslabError({ code: 'USAGE', message: `${all.length} labs are up (${all.map((s) => s.name).join(', ')}): name one` })
}

/** Whether pid is the sandbox this session started: an unshare of ours, and the same process (start time) as then. */
export function sandboxIsOurs(s: Session): boolean {
  const p = processInfo(s.sandbox.pid)
  if (!p || p.zombie) return false
  if (p.name !== 'unshare') return false
  // Root's sandboxes run as their own uid (sandboxOwner); others as the user's.
  if (p.uid !== (s.sandbox.uid ?? process.getuid?.() ?? p.uid)) return false
  return s.sandboxStart === undefined || s.sandboxStart === p.startTime
}

export function sessionState(s: Session): SessionState {
  const alive = sandboxIsOurs(s)
  if (s.ready === false) {
    const up = s.upPid !== undefined ? processInfo(s.upPid) : undefined
    if (up && !up.zombie) return 'starting'
    return alive ? 'interrupted' : 'gone'
  }
  return alive ? 'up' : 'gone'
}

/** The session's lab host, checked to be alive; an error that says what to do otherwise. */
export function attachSession(s: Session): Sandbox {
  const state = sessionState(s)
  if (state === 'starting') throw new NslabError({ code: 'SANDBOX', message: `${s.name} is still starting (nslab up is setting it up)`, fix: 'wait for nslab up to finish' })
  if (state === 'gone' || state === 'interrupted') {
    throw new NslabError({
      code: 'SANDBOX',
      message: state === 'gone' ? `the lab host of ${s.name} is gone (was it killed?)` : `the setup of ${s.name} was cut short`,
      fix: `nslab reset ${s.name} starts it afresh; nslab gc cleans up`,
    })
  }
  return attachSandbox(s.sandbox)
}

/** The session's lab: from the cache while the file is unchanged, else parsed again (and cached). */
export async function sessionLab(s: Session): Promise<Lab> {
  let st
  try {
    st = statSync(s.lab)
  } catch {
    if (s.labCache) return s.labCache.lab
    throw new NslabError({ code: 'NOT_FOUND', message: `the lab file of ${s.name} is gone: ${s.lab}` })
  }
  const c = s.labCache
  if (c && c.mtimeMs === st.mtimeMs && c.size === st.size) return c.lab
  const lab = await parseLabFile(s.lab)
  s.labCache = { mtimeMs: st.mtimeMs, size: st.size, lab }
  saveSession(s)
  return lab
}

/** Parse a lab file, or throw every problem it has (exit 2). The parser is loaded only here. */
export async function parseLabFile(file: string): Promise<Lab> {
  const { parseLab } = await import('../lab/parse-lab.js')
  let bytes: Buffer
  try {
    const tooBig = labSizeProblem(statSync(file).size)
    if (tooBig) throw new NslabError({ code: 'LAB_INVALID', message: `invalid lab:\n${file}:1: ${tooBig}` })
    bytes = readFileSync(file)
  } catch (e) {
    if (e instanceof NslabError) throw e
    throw new NslabError({ code: 'NOT_FOUND', message: `cannot read ${file}: ${(e as Error).message}` })
  }
  const r = parseLab(bytes, file)
  if (r.problems.length || !r.lab) {
    throw new NslabError({ code: 'LAB_INVALID', message: `invalid lab:\n${r.problems.map(formatProblem).join('\n')}` })
  }
  return r.lab
}

/** "2/3", or "3/3 done": what the lab shell's prompt shows. */
export function progressText(s: Session): string {
  const total = s.checks ?? 0
  const n = s.passed.length
  return total > 0 && n >= total ? `${n}/${total} done` : `${n}/${total}`
}

/**
 * Write a file inside the lab host, as its root: by a process inside it, never
 * from here through /proc/PID/root, where a link the lab planted would be
 * followed on this machine's side.
 */
export async function writeInside(_s: Session, sandbox: Sandbox, path: string, content: string): Promise<void> {
  if (!path.startsWith(`${SANDBOX_DIR}/`)) throw new Error(`writeInside: ${path} is not under ${SANDBOX_DIR}`)
  await sandbox.exec({ machine: 'host', script: `cat > ${path}`, input: content, timeoutMs: 5000 })
}

/** Where the lab shell's prompt reads the progress from, inside the lab host. */
export const PROGRESS_FILE = `${SANDBOX_DIR}/progress`

/** Tell the lab host the progress, for the lab shell's prompt: only when it changed (it costs a process). */
export async function writeProgress(s: Session, sandbox: Sandbox, force = false): Promise<void> {
  const text = progressText(s)
  if (!force && s.progressShown === text) return
  await writeInside(s, sandbox, PROGRESS_FILE, `${text}\n`)
  const now = loadSession(s.name)
  // Another command may have reset the lab meanwhile: that session is not this one.
  if (now && now.sandbox.pid === s.sandbox.pid && now.createdAt === s.createdAt) saveSession({ ...now, progressShown: text })
  s.progressShown = text
}

/** How to run a command on this session: `nslab check` when it is the only one up, else `nslab check NAME`. */
export function commandFor(cmd: string, s: Session, opts: { inside?: boolean } = {}): string {
  if (opts.inside) return `nslab ${cmd}`
  const all = listSessions()
  return all.length === 1 && all[0]?.name === s.name ? `nslab ${cmd}` : `nslab ${cmd} ${s.name}`
}

/** How a learner command was started: from the command line, or from the lab shell (nslab inside it). */
export interface LearnerContext {
  /** The session to use when none is named (the lab shell's own). */
  session?: string
  /** Called from inside the lab shell: some commands do not apply there. */
  inside?: boolean
}

/**
 * Mark a task passed (and solved with help), for good. Another nslab check may
 * have run meanwhile (a second terminal): the file is read again and merged.
 */
export function latchTask(s: Session, index: number, solved: boolean): Session {
  const now = loadSession(s.name) ?? s
  // Reset (or taken down and up again) meanwhile: this progress is of a host that is gone.
  if (now.sandbox.pid !== s.sandbox.pid || now.createdAt !== s.createdAt) return now
  const merged: Session = { ...s, passed: union(now.passed, s.passed, [index]), solved: union(now.solved, s.solved, solved ? [index] : []) }
  saveSession(merged)
  return merged
}

function union(...lists: number[][]): number[] {
  return [...new Set(lists.flat())].sort((a, b) => a - b)
}
