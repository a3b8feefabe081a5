// Every command of nslab, in one table: `nslab --help` lists it, `nslab help
// CMD` and `nslab CMD` find their command in it, docs/reference.md is
// generated from it, and the tests of the conventions (every option in its
// command's help, one form of usage error) go through it. A new command is
// one entry here. Each module is imported only when its command runs, so
// that `nslab --version` and `nslab --help` load nothing but this table.
import type { Options } from './parse-command-args.js'

/** What a command's module gives the table. */
export interface CommandModule {
  /** Its whole --help, as `nslab CMD --help` prints it. */
  help: string
  /** Its options, as it reads them with parseCommandArgs (for the tests of its help). */
  options?: Options
  run(argv: string[]): Promise<number>
}

export interface CommandEntry {
  name: string
  /** One line for `nslab --help`. */
  summary: string
  group: keyof typeof COMMAND_GROUPS
  load(): Promise<CommandModule>
}

/** The parts of `nslab --help`, in order. */
export const COMMAND_GROUPS = {
  labs: 'Labs',
  learn: 'Learner mode (a lab host that stays up while you type)',
  teach: 'Teaching',
  reports: 'Reports',
} as const

export const COMMANDS: CommandEntry[] = [
  {
    name: 'run',
    group: 'labs',
    summary: 'run labs, each on its own lab host, and report (default: labs/)',
    load: async () => {
      const [m, f] = await Promise.all([import('./run-command.js'), import('./run-flags.js')])
      return { help: f.RUN_HELP, options: f.RUN_OPTIONS, run: m.runCommand }
    },
  },
  {
    name: 'lint',
    group: 'labs',
    summary: 'check lab files against the format, without running them',
    load: async () => {
      const m = await import('./lint-command.js')
      return { help: m.LINT_HELP, options: m.LINT_OPTIONS, run: m.lintCommand }
    },
  },
  {
    name: 'prove',
    group: 'labs',
    summary: "show that each lab's checks can fail",
    load: async () => {
      const m = await import('./prove-command.js')
      return { help: m.PROVE_HELP, options: m.PROVE_OPTIONS, run: m.proveCommand }
    },
  },
  {
    name: 'import',
    group: 'labs',
    summary: 'turn a Markdown tutorial into a lab to run, saying where checks could go',
    load: async () => {
      const m = await import('./import-command.js')
      return { help: m.IMPORT_HELP, options: m.IMPORT_OPTIONS, run: m.importCommand }
    },
  },
  {
    name: 'labs',
    group: 'labs',
    summary: "list labs: nslab's own, or those in a folder",
    load: async () => {
      const m = await import('./labs-command.js')
      return { help: m.LABS_HELP, options: m.LABS_OPTIONS, run: m.labsCommand }
    },
  },
  {
    name: 'up',
    group: 'learn',
    summary: 'start a lab to work in by hand',
    load: async () => {
      const m = await import('./up-command.js')
      return { help: m.UP_HELP, options: m.UP_OPTIONS, run: (argv) => m.upCommand(argv) }
    },
  },
  {
    name: 'shell',
    group: 'learn',
    summary: 'a shell on a lab that is up, or one command there',
    load: async () => {
      const m = await import('./shell-command.js')
      return { help: m.SHELL_HELP, options: m.SHELL_OPTIONS, run: (argv) => m.shellCommand(argv) }
    },
  },
  {
    name: 'check',
    group: 'learn',
    summary: 'check your progress in a lab that is up (or a machine of yours: --target)',
    load: async () => {
      const [m, target, { hasOption }] = await Promise.all([import('./check-command.js'), import('./check-target-flags.js'), import('./parse-command-args.js')])
      return {
        help: m.CHECK_HELP,
        options: { ...m.CHECK_OPTIONS, ...target.CHECK_TARGET_OPTIONS },
        // `nslab check LAB --target ssh://…` judges a learner's own machine, not a lab host that is up.
        run: async (argv) => {
          if (hasOption(argv, 'target')) return (await import('./check-target-command.js')).checkTargetCommand(argv)
          const status = await m.checkCommand(argv)
          // Here, node ran the check: the next one is the session agent's if it runs (session-agent.ts).
          await (await import('./ensure-session-agent.js')).ensureSessionAgent()
          return status
        },
      }
    },
  },
  {
    name: 'hint',
    group: 'learn',
    summary: "the current task's hint",
    load: async () => {
      const m = await import('./hint-command.js')
      return { help: m.HINT_HELP, options: m.HINT_OPTIONS, run: (argv) => m.hintCommand(argv) }
    },
  },
  {
    name: 'solve',
    group: 'learn',
    summary: "run the current task's reference solution",
    load: async () => {
      const m = await import('./solve-command.js')
      return { help: m.SOLVE_HELP, options: m.SOLVE_OPTIONS, run: (argv) => m.solveCommand(argv) }
    },
  },
  {
    name: 'reset',
    group: 'learn',
    summary: 'a fresh lab host, progress cleared',
    load: async () => {
      const m = await import('./reset-command.js')
      return { help: m.RESET_HELP, options: m.RESET_OPTIONS, run: (argv) => m.resetCommand(argv) }
    },
  },
  {
    name: 'status',
    group: 'learn',
    summary: 'the labs that are up',
    load: async () => {
      const m = await import('./status-command.js')
      return { help: m.STATUS_HELP, options: m.STATUS_OPTIONS, run: (argv) => m.statusCommand(argv) }
    },
  },
  {
    name: 'down',
    group: 'learn',
    summary: 'take a lab down',
    load: async () => {
      const m = await import('./down-command.js')
      return { help: m.DOWN_HELP, options: m.DOWN_OPTIONS, run: (argv) => m.downCommand(argv) }
    },
  },
  {
    name: 'gc',
    group: 'learn',
    summary: 'remove what killed runs left behind',
    load: async () => {
      const m = await import('./gc-command.js')
      return { help: m.GC_HELP, options: m.GC_OPTIONS, run: (argv) => m.gcCommand(argv) }
    },
  },
  {
    name: 'serve',
    group: 'learn',
    summary: 'every lab as a web page with live terminals, on this machine',
    load: async () => {
      const m = await import('./serve-command.js')
      return { help: m.SERVE_HELP, options: m.SERVE_OPTIONS, run: m.serveCommand }
    },
  },
  {
    name: 'grade',
    group: 'teach',
    summary: "grade learners' answers to a lab, each in a sandbox of its own",
    load: async () => {
      const m = await import('./grade-command.js')
      return { help: m.GRADE_HELP, options: m.GRADE_OPTIONS, run: m.gradeCommand }
    },
  },
  {
    name: 'images',
    group: 'labs',
    summary: 'the Docker images of engine: docker labs (show, --build, --rebuild)',
    load: async () => {
      const m = await import('./images-command.js')
      return { help: m.IMAGES_HELP, options: m.IMAGES_OPTIONS, run: m.imagesCommand }
    },
  },
  {
    name: 'report',
    group: 'reports',
    summary: 'report merge FILES…: join JSON reports (the shards of a CI matrix) into one',
    load: async () => {
      const m = await import('./report-command.js')
      return { help: m.REPORT_HELP, options: m.REPORT_OPTIONS, run: m.reportCommand }
    },
  },
]

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name)
}
