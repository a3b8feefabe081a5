import { COMMAND_GROUPS, COMMANDS } from './command-table.js'
import { ENVIRONMENT } from './environment.js'
import { EXIT_CODES } from './exit-codes.js'

/** `nslab --help`: the commands by group, nslab's own options, exit codes and environment. */
export function generalHelp(): string {
  const groups = Object.entries(COMMAND_GROUPS).map(([key, title]) => {
    const cmds = COMMANDS.filter((c) => c.group === key)
    return cmds.length ? `${title}:\n${cmds.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}\n` : ''
  })
  return `nslab — Linux networking labs written in Markdown, each run on a throwaway lab host

Usage: nslab <command> [options]

${groups.filter(Boolean).join('\n')}
Options of nslab itself:
  --version                 the version
  -h, --help                this help
  --color, --no-color       colour on or off, for any command (before or after it)

Run 'nslab help <command>' (or 'nslab <command> --help') for a command's options.

${exitCodesHelp()}
${environmentHelp()}
Start with docs/first-lab.md; every page: docs/README.md (in nslab's folder too).
`
}

export function exitCodesHelp(): string {
  return `Exit codes:\n${EXIT_CODES.map((e) => row(e.code, 9, e.meaning)).join('\n')}\n`
}

export function environmentHelp(): string {
  return `Environment:\n${ENVIRONMENT.map((e) => row(e.name, 18, e.what)).join('\n')}\n`
}

/** A row of a table in a help: the key, then its text wrapped at 80 columns under itself. */
function row(key: string, width: number, text: string): string {
  const indent = ' '.repeat(width + 3)
  const lines: string[] = []
  let line = `  ${key.padEnd(width)} `
  for (const word of text.split(' ')) {
    if (line.length + word.length > 80 && line.trim() !== key) {
      lines.push(line.trimEnd())
      line = indent
    }
    line += `${word} `
  }
  lines.push(line.trimEnd())
  return lines.join('\n')
}
