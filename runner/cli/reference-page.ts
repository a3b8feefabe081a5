// docs/reference.md, made from the tables nslab's own help prints: the
// commands (command-table.ts) and each one's --help, the exit codes, the
// environment. `npm run docs:reference` writes it; test/docs/reference.test.ts
// fails when the page and the help differ.
import { COMMAND_GROUPS, COMMANDS } from './command-table.js'
import { ENVIRONMENT, LAB_ENVIRONMENT } from './environment.js'
import { EXIT_CODES } from './exit-codes.js'

const cell = (text: string) => text.replace(/\|/g, '\\|')

export async function referencePage(): Promise<string> {
  const out: string[] = [
    '# nslab command reference',
    '',
    '<!-- Made by `npm run docs:reference` from the help nslab prints (runner/cli/command-table.ts, exit-codes.ts, environment.ts); edit those, not this page. -->',
    '',
    'Every command, its options, the exit codes and the environment variables nslab reads: the same',
    'text as `nslab --help`, `nslab help CMD` (or `nslab CMD --help`), `nslab help exit-codes` and',
    '`nslab help environment` print.',
    '',
    '## Commands',
    '',
    '| command | what it does |',
    '| --- | --- |',
  ]
  for (const key of Object.keys(COMMAND_GROUPS) as (keyof typeof COMMAND_GROUPS)[]) {
    for (const c of COMMANDS.filter((x) => x.group === key)) out.push(`| [\`nslab ${c.name}\`](#nslab-${c.name}) | ${cell(c.summary)} |`)
  }
  out.push(
    '',
    'Every command also takes `--color` / `--no-color` (colour on or off) and `-h`, `--help`;',
    '`--` ends the options (what follows is a file, a lab or, for `nslab shell`, a command).',
    'A command line nslab cannot take is said in one form, on stderr, with exit status 2:',
    '',
    '```console',
    '$ nslab run --verbos',
    'nslab run: unknown option --verbos (did you mean --verbose?)',
    "Try 'nslab run --help'.",
    '```',
    '',
    '## Exit codes',
    '',
    '| status | meaning |',
    '| --- | --- |',
    ...EXIT_CODES.map((e) => `| ${e.code} | ${cell(e.meaning)} |`),
    '',
    '## Environment',
    '',
    'What nslab reads:',
    '',
    '| variable | what it does |',
    '| --- | --- |',
    ...ENVIRONMENT.map((e) => `| \`${e.name}\` | ${cell(e.what)} |`),
    '',
    "What nslab sets inside a lab host, for a lab's scripts and the lab shell:",
    '',
    '| variable | what it is |',
    '| --- | --- |',
    ...LAB_ENVIRONMENT.map((e) => `| \`${e.name}\` | ${cell(e.what)} |`),
    '',
  )
  for (const c of COMMANDS) {
    const m = await c.load()
    out.push(`## nslab ${c.name}`, '', '```text', m.help.trimEnd(), '```', '')
  }
  return out.join('\n')
}
