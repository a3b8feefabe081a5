import { readFileSync, statSync } from 'node:fs'
import { findLabs } from './find-labs.js'
import type { Lab } from './lab.js'
import { formatProblem, type LabProblem } from './lab-problem.js'
import { NslabError } from '../util/nslab-error.js'
import { parseLab } from './parse-lab.js'
import { labSizeProblem } from './lab-text-limits.js'

/** Find and parse labs; every problem of every file, or the labs; and what lint warns of. */
export function loadLabs(paths: string[]): { labs: Lab[]; problems: LabProblem[]; warnings: LabProblem[]; files: string[] } {
  const files = findLabs(paths)
  const labs: Lab[] = []
  const problems: LabProblem[] = []
  const warnings: LabProblem[] = []
  for (const file of files) {
    let bytes: Buffer
    try {
      // Refused before it is read: a file of gigabytes is not loaded to be told it is too big.
      const tooBig = labSizeProblem(statSync(file).size)
      if (tooBig) {
        problems.push({ file, line: 1, message: tooBig })
        continue
      }
      bytes = readFileSync(file)
    } catch (e) {
      problems.push({ file, line: 0, message: `cannot read it: ${(e as Error).message}` })
      continue
    }
    const r = parseLab(bytes, file)
    problems.push(...r.problems)
    warnings.push(...r.warnings)
    if (r.lab) labs.push(r.lab)
  }
  return { labs, problems, warnings, files }
}

/** The labs, or an exception listing every problem (exit 2). */
export function loadValidLabs(paths: string[]): Lab[] {
  const { labs, problems, files } = loadLabs(paths)
  if (problems.length) {
    throw new NslabError({ code: 'LAB_INVALID', message: `invalid lab${problems.length > 1 ? 's' : ''}:\n${problems.map(formatProblem).join('\n')}` })
  }
  if (files.length === 0) throw new NslabError({ code: 'NOT_FOUND', message: `no labs found in ${paths.join(', ')}` })
  return labs
}
