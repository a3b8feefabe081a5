/** One thing wrong in a lab file; the parser returns all of them. */
export interface LabProblem {
  file: string
  line: number
  message: string
  /** A warning: allowed, likely not meant; the lab still runs. */
  severity?: 'warning'
}

export function formatProblem(p: LabProblem): string {
  return `${p.file}:${p.line}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`
}
