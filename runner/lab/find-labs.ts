import { statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { NslabError } from '../util/nslab-error.js'
import { labFilesIn, resolveLabPath } from './resolve-lab-path.js'

/**
 * Lab files named on a command line: files as given, folders as their *.md
 * (sorted), names as resolveLabPath finds them (labs/ here, then nslab's own).
 */
export function findLabs(paths: string[], cwd = process.cwd()): string[] {
  const files: string[] = []
  for (const arg of paths) {
    const p = resolveLabPath(arg, cwd)
    let st
    try {
      st = statSync(resolve(cwd, p))
    } catch {
      throw new NslabError({ code: 'NOT_FOUND', message: `no such lab or folder: ${p}` })
    }
    if (st.isDirectory()) files.push(...labFilesIn(resolve(cwd, p)).map((f) => join(p, f)))
    else files.push(p)
  }
  return [...new Set(files)]
}
