import { formatProblem } from './lab-problem.js'
import { DEFAULT_LAB_PATHS, lint } from './lint.js'

const HELP = `Usage: nslab lint [labs or folders…]     (default: labs/)

Checks lab files against the lab format (docs/lab-format.md) without running them.
Prints every problem as file:line: message. Exit 0 when all are valid, 2 when one is not.
`

export async function lintCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP)
    return 0
  }
  const unknown = argv.find((a) => a.startsWith('-'))
  if (unknown) {
    process.stderr.write(`nslab lint: unknown option ${unknown}\n\n${HELP}`)
    return 2
  }
  const { problems, files } = await lint(argv)
  if (files.length === 0) {
    process.stderr.write(`nslab lint: no labs found in ${(argv.length ? argv : DEFAULT_LAB_PATHS).join(', ')}\n`)
    return 2
  }
  for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`)
  const bad = new Set(problems.map((p) => p.file)).size
  process.stdout.write(
    problems.length
      ? `${bad} of ${files.length} lab${files.length > 1 ? 's' : ''} invalid (${problems.length} problem${problems.length > 1 ? 's' : ''})\n`
      : `${files.length} lab${files.length > 1 ? 's' : ''} valid\n`,
  )
  return problems.length ? 2 : 0
}
