// `nslab lint`: every problem of every lab named (folders stand for their
// *.md files, sorted), without running anything. The command line prints the
// problems and exits 0 when there are none, 2 otherwise.

import { readFile } from 'node:fs/promises'
import { findLabs } from './find-labs.js'
import type { LabProblem } from './lab-problem.js'
import { parseLab } from './parse-lab.js'

export const DEFAULT_LAB_PATHS = ['labs']

/** Throws NslabError NOT_FOUND when a path named does not exist. */
export async function lint(paths: string[]): Promise<{ files: string[]; problems: LabProblem[] }> {
  const files = findLabs(paths.length > 0 ? paths : DEFAULT_LAB_PATHS)
  const problems: LabProblem[] = []
  for (const file of files) {
    let bytes: Uint8Array
    try {
      bytes = await readFile(file)
    } catch (e) {
      problems.push({ file, line: 0, message: `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` })
      continue
    }
    problems.push(...parseLab(bytes, file).problems)
  }
  return { files, problems }
}
