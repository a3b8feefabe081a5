// nslab labs [FOLDER]: what there is to run, and the word to type for each.
// Without a folder: the labs of labs/ here (when there is one), then those
// that come with nslab, each by the name that `nslab run NAME` takes.
import { resolve } from 'node:path'
import { colorEnabled, createColors } from '../util/colors.js'
import { loadLabs } from '../lab/load-labs.js'
import { labTasks } from '../lab/lab-tasks.js'
import { bundledLabsDir, defaultLabFolder, labFilesIn, resolveLabPath } from '../lab/resolve-lab-path.js'
import { wrapText } from '../learn/format-verdict.js'
import { safeJson, safeLine, safeTerminal } from '../util/safe-text.js'
import { NslabError } from '../util/nslab-error.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'

export const LABS_HELP = `Usage: nslab labs [FOLDER] [--json]

Lists labs: name, title, how many tasks, and summary. Without a FOLDER, those
of labs/ here (if there is one) and those that come with nslab; a name in the
first column is what nslab run, prove, up and lint take (nslab run snat-outbound).

Options:
  --json                    the list as JSON: [{name, file, title, summary, tasks, problems}]
${COMMON_OPTIONS_HELP}`

export const LABS_OPTIONS = {
  json: { type: 'boolean', default: false },
} as const

interface Listed {
  /** What to type to name it. */
  name: string
  file: string
  title: string | null
  summary: string | null
  tasks: number | null
  /** How many problems nslab lint finds in it (0: a valid lab). */
  problems: number
}

export async function labsCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab labs', usage: 'nslab labs -- FOLDER', options: LABS_OPTIONS })
  if (v.values.help) {
    process.stdout.write(LABS_HELP)
    return 0
  }
  if (v.positionals.length > 1) throw new UsageError('nslab labs', 'takes one folder')
  const sections: { heading: string; labs: Listed[] }[] = []
  const [folder] = v.positionals
  if (folder !== undefined) {
    const dir = resolveLabPath(folder)
    sections.push({ heading: `Labs in ${dir}`, labs: listFolder(dir, (f) => `${dir.replace(/\/+$/, '')}/${f}`) })
  } else {
    const own = bundledLabsDir()
    const here = defaultLabFolder()
    // In nslab's own checkout, labs/ here is nslab's own: listed once.
    if (here && resolve(here) !== resolve(own)) sections.push({ heading: 'Labs in labs/ here', labs: listFolder(here, (f) => f.replace(/\.md$/, '')) })
    const shadowed = new Set(sections.flatMap((s) => s.labs.map((l) => l.name)))
    sections.push({ heading: 'Labs that come with nslab', labs: listFolder(own, (f) => f.replace(/\.md$/, '')).map((l) => (shadowed.has(l.name) ? { ...l, name: l.file } : l)) })
  }
  if (v.values.json) {
    process.stdout.write(`${safeJson(JSON.stringify(sections.flatMap((s) => s.labs), null, 2))}\n`)
    return 0
  }
  const c = createColors(colorEnabled(process.stdout))
  const width = process.stdout.isTTY ? Math.min(process.stdout.columns ?? 80, 100) : 80
  const out: string[] = []
  for (const s of sections) {
    out.push(c.bold(`${s.heading}:`))
    if (s.labs.length === 0) out.push('  (none)')
    const pad = Math.max(...s.labs.map((l) => [...l.name].length), 0)
    for (const l of s.labs) {
      const name = safeLine(l.name)
      if (l.problems) {
        out.push(`  ${c.cyan(name.padEnd(pad))}  ${c.red(`invalid: ${l.problems} problem${l.problems === 1 ? '' : 's'}`)} ${c.dim(`(nslab lint ${safeLine(l.file)})`)}`)
        continue
      }
      out.push(`  ${c.cyan(name.padEnd(pad))}  ${safeLine(l.title ?? '')}  ${c.dim(`(${l.tasks} task${l.tasks === 1 ? '' : 's'})`)}`)
      if (l.summary) out.push(...wrapText(safeLine(l.summary), width, ' '.repeat(pad + 4), ' '.repeat(pad + 4)).map((line) => c.dim(line)))
    }
    out.push('')
  }
  out.push(c.dim('Run one: nslab run NAME · work through one by hand: nslab up NAME · its checks can fail: nslab prove NAME'))
  process.stdout.write(safeTerminal(`${out.join('\n')}\n`))
  return 0
}

/** Each lab of a folder, valid or not; name is what to type for it. */
function listFolder(dir: string, nameOf: (file: string) => string): Listed[] {
  let files: string[]
  try {
    files = labFilesIn(dir)
  } catch (e) {
    throw new NslabError({ code: 'NOT_FOUND', message: `${dir} is not a folder of labs: ${(e as Error).message}` })
  }
  return files.map((f) => {
    const file = `${dir.replace(/\/+$/, '')}/${f}`
    const { labs, problems } = loadLabs([file])
    const lab = labs[0]
    return {
      name: nameOf(f),
      file,
      title: lab?.title ?? null,
      summary: lab?.summary ?? null,
      tasks: lab ? labTasks(lab).tasks.length : null,
      problems: problems.length,
    }
  })
}
