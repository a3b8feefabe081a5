import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { NslabError } from '../util/nslab-error.js'

/** Lab files named on a command line: files as given, folders as their *.md (sorted). */
export function findLabs(paths: string[]): string[] {
  const files: string[] = []
  for (const p of paths) {
    let st
    try {
      st = statSync(p)
    } catch {
      throw new NslabError({ code: 'NOT_FOUND', message: `no such lab or folder: ${p}` })
    }
    if (st.isDirectory()) {
      const mds = readdirSync(p)
        .filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md')
        .sort()
        .map((f) => join(p, f))
      files.push(...mds)
    } else files.push(p)
  }
  return [...new Set(files)]
}
