import { formatProblem } from '../lab/lab-problem.js'
import { DEFAULT_LAB_PATHS, lint } from '../lab/lint.js'
import { optionArgs, parseCommandArgs, usageLine } from './parse-command-args.js'

const HELP = `Usage: nslab lint [--] [labs or folders…]     (default: labs/)

Checks lab files against the lab format (docs/lab-format.md) without running them.
Prints every problem as file:line: message. Exit 0 when all are valid, 2 when one is not.
`

export async function lintCommand(argv: string[]): Promise<number> {
  const v = parseCommandArgs(argv, { command: 'nslab lint', usage: 'nslab lint -- LABS…', options: { help: { type: 'boolean', short: 'h' } } })
  if (!v.ok) {
    if (v.problem.kind === 'option-is-a-path') {
      process.stderr.write(`${usageLine(v.problem)}\n`)
      return 2
    }
    const unknown = optionArgs(argv).find((a) => a.startsWith('-') && a !== '-' && a !== '--help' && a !== '-h') ?? v.problem.message
    process.stderr.write(`nslab lint: unknown option ${unknown}\n\n${HELP}`)
    return 2
  }
  if (v.values.help) {
    process.stdout.write(HELP)
    return 0
  }
  const paths = v.positionals
  const { problems, warnings, files } = await lint(paths)
  if (files.length === 0) {
    process.stderr.write(`nslab lint: no labs found in ${(paths.length ? paths : DEFAULT_LAB_PATHS).join(', ')}\n`)
    return 2
  }
  // Warnings among the problems, in file and line order; they do not make a lab invalid.
  const all = [...problems, ...warnings].sort((a, b) => (a.file === b.file ? a.line - b.line : files.indexOf(a.file) - files.indexOf(b.file)))
  for (const p of all) process.stderr.write(`${formatProblem(p)}\n`)
  const bad = new Set(problems.map((p) => p.file)).size
  process.stdout.write(
    problems.length
      ? `${bad} of ${files.length} lab${files.length > 1 ? 's' : ''} invalid (${problems.length} problem${problems.length > 1 ? 's' : ''})\n`
      : `${files.length} lab${files.length > 1 ? 's' : ''} valid\n`,
  )
  return problems.length ? 2 : 0
}
