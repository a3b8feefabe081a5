#!/usr/bin/env node
// The nslab command. Each subcommand lives in its own module, imported only
// when used, so that `nslab --version` starts fast.
import { nslabVersion } from '../util/nslab-version.js'

type Command = (argv: string[]) => Promise<number>

const learner = (name: string, summary: string) => ({
  load: async (): Promise<Command> => {
    const { learnerCommand } = await import('./learner-command.js')
    return (argv) => learnerCommand(name, argv)
  },
  summary,
})

const COMMANDS: Record<string, { load: () => Promise<Command>; summary: string }> = {
  run: { load: async () => (await import('./run-command.js')).runCommand, summary: 'run labs and report (default: labs/)' },
  lint: { load: async () => (await import('./lint-command.js')).lintCommand, summary: 'check lab files against the format' },
  prove: { load: async () => (await import('./prove-command.js')).proveCommand, summary: "show that each lab's checks can fail" },
  up: learner('up', 'start a lab to work in by hand'),
  shell: learner('shell', 'a shell on a lab that is up'),
  check: learner('check', 'check your progress in a lab that is up'),
  hint: learner('hint', "the current task's hint"),
  solve: learner('solve', "run the current task's reference solution"),
  reset: learner('reset', 'a fresh lab host, progress cleared'),
  status: learner('status', 'labs that are up'),
  down: learner('down', 'take a lab down'),
  gc: learner('gc', 'remove what killed runs left behind'),
  serve: { load: async () => (await import('./serve-command.js')).serveCommand, summary: 'every lab as a web page with live terminals' },
  grade: { load: async () => (await import('./grade-command.js')).gradeCommand, summary: "grade learners' answers to a lab" },
  report: { load: async () => (await import('./report-command.js')).reportCommand, summary: 'report merge FILES…: join JSON reports into one matrix' },
}

const HELP = `nslab — run Linux networking labs written in Markdown

Usage: nslab <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join('\n')}

Run \`nslab <command> --help\` for a command's options. Docs: docs/README.md
`

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    process.stdout.write(`${nslabVersion()}\n`)
    return 0
  }
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP)
    return cmd === undefined ? 2 : 0
  }
  const entry = COMMANDS[cmd]
  if (!entry) {
    process.stderr.write(`nslab: unknown command "${cmd}"\n\n${HELP}`)
    return 2
  }
  return await (await entry.load())(rest)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
    // What still keeps the process alive after its work (there should be nothing for long).
    if (process.env.NSLAB_DEBUG === 'exit') {
      const t0 = performance.now()
      const show = () => {
        const handles = (process as unknown as { _getActiveHandles(): { constructor: { name: string }; spawnargs?: string[]; pid?: number }[] })._getActiveHandles()
        const what = handles.map((h) => (h.spawnargs ? `process ${h.pid} (${h.spawnargs.slice(0, 3).join(' ')}…)` : h.constructor.name))
        process.stderr.write(`nslab: +${(performance.now() - t0).toFixed(0)} ms: ${[...process.getActiveResourcesInfo(), ...what].join(', ')}\n`)
      }
      show()
      setInterval(show, 20).unref()
    }
  },
  async (e: unknown) => {
    const { reportFatal } = await import('./report-fatal.js')
    process.exitCode = reportFatal(e)
  },
)
