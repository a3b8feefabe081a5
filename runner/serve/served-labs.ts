import { existsSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { findLabs } from '../lab/find-labs.js'
import type { Lab } from '../lab/lab.js'
import { labTasks } from '../lab/lab-tasks.js'
import { labProse, type LabProse } from '../learn/lab-prose.js'
import { parseLabFile } from '../learn/learner-session.js'
import { NslabError } from '../util/nslab-error.js'
import { packageRoot } from '../util/package-root.js'

/** A lab the server serves. */
export interface ServedLab {
  /** Its address on the server (/lab/ID), and the name of its session: the file's name. */
  id: string
  /** Absolute path of the file. */
  file: string
  lab: Lab
  tasks: number
  /** Its prose, lexed (once, when first asked for). */
  prose(): Promise<LabProse>
  /** Its file's size and time: a lab edited since it was read is read again when brought up. */
  stamp: string
}

export interface ServedLabs {
  labs: ServedLab[]
  /** Files that are not valid labs, with why: shown, not served. */
  problems: string[]
}

/**
 * The labs named (files, folders, or names of labs in labs/), or by default
 * labs/ here, else nslab's own labs. A lab that is not valid is left out and
 * said; none valid at all is an error.
 */
export async function servedLabs(args: string[], cwd = process.cwd()): Promise<ServedLabs> {
  const paths = args.length ? args.map((a) => lookUpLab(a, cwd)) : [defaultFolder(cwd)]
  const files = findLabs(paths).map((f) => resolve(cwd, f))
  const labs: ServedLab[] = []
  const problems: string[] = []
  const taken = new Set<string>()
  for (const file of files) {
    let lab: Lab
    try {
      lab = await parseLabFile(file)
    } catch (e) {
      if (e instanceof NslabError && (e.code === 'LAB_INVALID' || e.code === 'NOT_FOUND')) {
        problems.push(e.message.replace(/^invalid lab:\n/, ''))
        continue
      }
      throw e
    }
    const id = uniqueId(basename(file).replace(/\.md$/i, ''), taken)
    let prose: Promise<LabProse> | undefined
    labs.push({ id, file, lab, tasks: labTasks(lab).tasks.length, prose: () => (prose ??= labProse(lab)), stamp: fileStamp(file) })
  }
  if (labs.length === 0) {
    throw new NslabError({
      code: problems.length ? 'LAB_INVALID' : 'NOT_FOUND',
      message: problems.length ? `no valid lab to serve:\n${problems.join('\n')}` : `no labs to serve in ${paths.join(', ')}`,
    })
  }
  return { labs, problems }
}

function defaultFolder(cwd: string): string {
  const here = join(cwd, 'labs')
  if (existsSync(here) && statSync(here).isDirectory()) return here
  return join(packageRoot(), 'labs')
}

/** A file, a folder, or the name of a lab in labs/ (here, or nslab's own). */
export function lookUpLab(arg: string, cwd: string): string {
  const own = join(packageRoot(), 'labs')
  for (const c of [arg, `${arg}.md`, join('labs', arg), join('labs', `${arg}.md`), join(own, arg), join(own, `${arg}.md`)]) {
    const p = resolve(cwd, c)
    if (existsSync(p)) return p
  }
  throw new NslabError({ code: 'NOT_FOUND', message: `no such lab or folder: ${arg}` })
}

/** A name for URLs and sessions: letters, digits, - _ . only, and not one already taken. */
function uniqueId(name: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 50) || 'lab'
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`
  taken.add(id)
  return id
}

/** A file's size and modification time, to tell whether it changed. */
export function fileStamp(file: string): string {
  try {
    const st = statSync(file)
    return `${st.size}:${st.mtimeMs}`
  } catch {
    return 'gone'
  }
}
