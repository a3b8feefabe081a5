/** One thing wrong in a lab file; the parser returns all of them. */
export interface LabProblem {
  file: string
  line: number
  message: string
}

export function formatProblem(p: LabProblem): string {
  return `${p.file}:${p.line}: ${p.message}`
}
