// nslab lint: like eslint, tsc and shellcheck, its findings are its output:
// on stdout, one per line as file:line:column: message [rule], or as JSON
// for editors and CI annotations. stderr is for nslab's own trouble (a lab
// that is not there).
import { labDiagnostics, LINT_RULES, type Diagnostic } from '../lab/lab-diagnostics.js'
import { lint } from '../lab/lint.js'
import { safeJson, safeTerminal } from '../util/safe-text.js'
import { asCommandUsage, COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { labsOrDefault } from './labs-or-default.js'
import { UsageError } from './usage-error.js'

export const LINT_HELP = `Usage: nslab lint [labs, folders or names…] [--format text|json]     (default: labs/ here)

Checks lab files against the lab format (docs/lab-format.md) without running
them, and prints every problem on stdout:

  file:line:column: message [rule]      (the column where it is known)

Options:
  --format text|json        text (default), or a JSON array of
                            {file, line, column, message, rule, severity} for
                            editors and CI annotations (column: null where unknown)
${COMMON_OPTIONS_HELP}
Rules:
${Object.entries(LINT_RULES)
  .map(([rule, what]) => `  ${rule.padEnd(13)} ${what}`)
  .join('\n')}

Exit: 0 when every lab is valid, 2 when one is not (or is not there).
`

export const LINT_OPTIONS = {
  format: { type: 'string', default: 'text' },
} as const

export async function lintCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab lint', usage: 'nslab lint -- LABS…', options: LINT_OPTIONS })
  if (v.values.help) {
    process.stdout.write(LINT_HELP)
    return 0
  }
  const format = v.values.format
  asCommandUsage('nslab lint', () => {
    if (format !== 'text' && format !== 'json') throw new UsageError('nslab lint', `--format takes text or json, not "${format}"`)
  })
  const paths = labsOrDefault(v.positionals, 'nslab lint')
  const { problems, warnings, files } = await lint(paths)
  if (files.length === 0) {
    process.stderr.write(`nslab lint: no labs found in ${paths.join(', ')}\n`)
    return 2
  }
  // Warnings (a command that waits for a terminal) among the problems, in file and line order; they do not make a lab invalid.
  const diagnostics = [...labDiagnostics(problems), ...labDiagnostics(warnings).map((d) => ({ ...d, rule: 'terminal' as const, severity: 'warning' as const }))].sort((a, b) =>
    a.file === b.file ? a.line - b.line : files.indexOf(a.file) - files.indexOf(b.file),
  )
  if (format === 'json') {
    process.stdout.write(`${safeJson(JSON.stringify(diagnostics, null, 2))}\n`)
    return problems.length ? 2 : 0
  }
  const bad = new Set(problems.map((p) => p.file)).size
  const lines = diagnostics.map(textLine)
  lines.push(
    problems.length
      ? `${bad} of ${files.length} lab${files.length > 1 ? 's' : ''} invalid (${problems.length} problem${problems.length > 1 ? 's' : ''})`
      : `${files.length} lab${files.length > 1 ? 's' : ''} valid`,
  )
  // A lab's own words are in the messages: their controls as escapes.
  process.stdout.write(safeTerminal(`${lines.join('\n')}\n`))
  return problems.length ? 2 : 0
}

/** file:line:column: message [rule], as gcc and eslint's unix format write it. */
function textLine(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column === null ? '' : `${d.column}:`} ${d.severity === 'warning' ? 'warning: ' : ''}${d.message} [${d.rule}]`
}
