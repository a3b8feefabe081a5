import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { parseCommandArgs, usageError } from './parse-command-args.js'
import { importTutorial } from '../lab/import-tutorial.js'
import { NslabError } from '../util/nslab-error.js'
import { safeTerminal } from '../util/safe-text.js'

const HELP = `Usage: nslab import TUTORIAL.md [-o LAB.md]

Turns an ordinary Markdown tutorial (\`\`\`bash and \`\`\`console blocks, $ prompts,
shown outputs) into a lab that nslab run executes: commands become steps,
shown outputs output blocks, and comments say where checks could go.
See docs/lab-format.md, "Starting from a tutorial".

Options:
  -o, --output FILE         write the lab there (default: stdout)
  -f, --force               overwrite FILE if it exists
`

export async function importCommand(argv: string[]): Promise<number> {
  const v = parseCommandArgs(argv, {
    command: 'nslab import',
    usage: 'nslab import [-o LAB.md] -- TUTORIAL.md',
    options: { output: { type: 'string', short: 'o' }, force: { type: 'boolean', short: 'f', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  })
  if (!v.ok) throw usageError(v.problem, HELP)
  if (v.values.help) {
    process.stdout.write(HELP)
    return 0
  }
  const [file, ...extra] = v.positionals
  if (!file || extra.length) throw new NslabError({ code: 'USAGE', message: `nslab import takes one tutorial\n\n${HELP}` })
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new NslabError({ code: 'NOT_FOUND', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` })
  }
  const r = importTutorial(text, file)
  const to = v.values.output
  if (to) {
    if (existsSync(to) && !v.values.force) throw new NslabError({ code: 'USAGE', message: `${to} exists: give -f to overwrite it` })
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
