// `nslab lint`: every problem of every lab named (folders stand for their
// *.md files, sorted), without running anything. The command line prints the
// problems and exits 0 when there are none, 2 otherwise.

import type { LabProblem } from './lab-problem.js'
import { loadLabs } from './load-labs.js'

export const DEFAULT_LAB_PATHS = ['labs']

/** Throws NslabError NOT_FOUND when a path named does not exist. Warnings do not make a lab invalid. */
export async function lint(paths: string[]): Promise<{ files: string[]; problems: LabProblem[]; warnings: LabProblem[] }> {
  const { files, problems, warnings } = loadLabs(paths.length > 0 ? paths : DEFAULT_LAB_PATHS)
  return { files, problems, warnings }
}
