import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'
import { importTutorial } from '../lab/import-tutorial.js'
import { NslabError } from '../util/nslab-error.js'
import { safeTerminal } from '../util/safe-text.js'

export const IMPORT_HELP = `Usage: nslab import TUTORIAL.md [-o LAB.md]

Turns an ordinary Markdown tutorial (\`\`\`bash and \`\`\`console blocks, $ prompts,
shown outputs) into a lab that nslab run executes: commands become steps,
shown outputs output blocks, and comments say where checks could go.
See docs/lab-format.md, "Starting from a tutorial".

Options:
  -o, --output FILE         write the lab there (default: stdout)
  -f, --force               overwrite FILE if it exists
${COMMON_OPTIONS_HELP}`

export const IMPORT_OPTIONS = { output: { type: 'string', short: 'o' }, force: { type: 'boolean', short: 'f', default: false } } as const

export async function importCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab import', usage: 'nslab import [-o LAB.md] -- TUTORIAL.md', options: IMPORT_OPTIONS })
  if (v.values.help) {
    process.stdout.write(IMPORT_HELP)
    return 0
  }
  const [file, ...extra] = v.positionals
  if (!file || extra.length) throw new UsageError('nslab import', 'takes one tutorial (nslab import TUTORIAL.md [-o LAB.md])')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new NslabError({ code: 'NOT_FOUND', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` })
  }
  const r = importTutorial(text, file)
  const to = v.values.output
  if (to) {
    if (existsSync(to) && !v.values.force) throw new UsageError('nslab import', `${to} exists: give -f to overwrite it`)
    writeFileSync(to, r.text)
  } else process.stdout.write(r.text)
  const where = to ? `wrote ${to}` : 'the lab is above'
  process.stderr.write(
    safeTerminal(
      `nslab import: ${where}: ${r.steps} steps, ${r.outputs} output blocks, ${r.places} places where a check could go.\n${r.notes.map((n) => `  - ${n}\n`).join('')}Next: nslab run ${to ?? 'LAB.md'}, then add checks where it says, then nslab prove.\n`,
    ),
  )
  return 0
}
