import { statSync } from 'node:fs'
import type { Lab } from '../lab/lab.js'
import { formatProblem } from '../lab/lab-problem.js'
import { loadLabs } from '../lab/load-labs.js'
import { NslabError } from '../util/nslab-error.js'

/** One lab file, parsed; every problem in it as `nslab lint` prints them (file:line: message), thrown. */
export function loadLabFile(file: string): Lab {
  if (typeof file !== 'string' || file === '') throw new NslabError({ code: 'USAGE', message: 'name a lab file, e.g. labs/snat-outbound.md' })
  let folder = false
  try {
    folder = statSync(file).isDirectory()
  } catch {
    throw new NslabError({ code: 'NOT_FOUND', message: `no such lab: ${file}` })
  }
  if (folder) throw new NslabError({ code: 'USAGE', message: `${file} is a folder: name one lab file in it` })
  const { labs, problems } = loadLabs([file])
  if (problems.length || !labs[0]) {
    throw new NslabError({ code: 'LAB_INVALID', message: `invalid lab:\n${problems.map(formatProblem).join('\n')}` })
  }
  return labs[0]
}
