// What a workshop keeps on disk, so that a restart of the server changes
// nothing for the class: each learner's token (their link stays the same),
// the instructor's, and each learner's progress in each lab. One JSON file
// in the user's session folder (0700, see session-store), written whole and
// renamed into place, mode 0600: it holds the tokens.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { sessionDir } from '../learn/session-store.js'

export interface KeptLab {
  passed: number[]
  solved: number[]
  hints: number[]
  /** The task the learner is on, and since when (ms since the epoch). */
  current?: number
  since?: number
}

export interface WorkshopState {
  workshopStateVersion: 1
  classFile: string
  startedAt: number
  instructorToken: string
  learners: Record<string, { token: string; labs: Record<string, KeptLab> }>
}

/** Where a class file's state is kept: one file per class file. */
export function workshopStatePath(classFile: string): string {
  const hash = createHash('sha256').update(classFile).digest('hex').slice(0, 10)
  const dir = join(sessionDir(), 'workshops')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  return join(dir, `${basename(classFile).replace(/[^A-Za-z0-9_.-]+/g, '-')}-${hash}.json`)
}

/** The state kept for these learners: read, with a token made for each learner it did not know. */
export function loadWorkshopState(path: string, classFile: string, learners: string[]): WorkshopState {
  let state: WorkshopState | undefined
  try {
    const read = JSON.parse(readFileSync(path, 'utf8')) as WorkshopState
    if (read.workshopStateVersion === 1 && typeof read.instructorToken === 'string' && read.learners && typeof read.learners === 'object') state = read
  } catch {
    // none yet, or unreadable: a new one
  }
  state ??= { workshopStateVersion: 1, classFile, startedAt: Date.now(), instructorToken: newToken(), learners: {} }
  for (const name of learners) state.learners[name] ??= { token: newToken(), labs: {} }
  return state
}

export function saveWorkshopState(path: string, state: WorkshopState): void {
  const tmp = `${path}.tmp`
  writeFileSync(tmp, `${JSON.stringify(state, null, 1)}\n`, { mode: 0o600 })
  renameSync(tmp, path)
}

function newToken(): string {
  return randomBytes(32).toString('hex')
}
