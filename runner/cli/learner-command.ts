// Learner mode: nslab up, shell, check, hint, solve, reset, status, down, gc.
// Each command is its own module, loaded only when used, so that nslab check
// loads the checks and nothing it does not need.
import type { LearnerContext } from '../learn/learner-session.js'
import { NslabError } from '../util/nslab-error.js'
import { hasOption } from './parse-command-args.js'

type LearnerCommand = (argv: string[], ctx: LearnerContext) => Promise<number>

const COMMANDS: Record<string, () => Promise<LearnerCommand>> = {
  up: async () => (await import('./up-command.js')).upCommand,
  shell: async () => (await import('./shell-command.js')).shellCommand,
  check: async () => (await import('./check-command.js')).checkCommand,
  hint: async () => (await import('./hint-command.js')).hintCommand,
  solve: async () => (await import('./solve-command.js')).solveCommand,
  reset: async () => (await import('./reset-command.js')).resetCommand,
  status: async () => (await import('./status-command.js')).statusCommand,
  down: async () => (await import('./down-command.js')).downCommand,
  gc: async () => (await import('./gc-command.js')).gcCommand,
}

/** Run a learner command; ctx says when it comes from inside a lab shell. */
export async function learnerCommand(name: string, argv: string[], ctx: LearnerContext = {}): Promise<number> {
  // `nslab check LAB --target ssh://…` judges a learner's own machine, not a lab host that is up.
  if (name === 'check' && hasOption(argv, 'target')) {
    return await (await import('./check-target-command.js')).checkTargetCommand(argv)
  }
  const load = COMMANDS[name]
  if (!load) throw new NslabError({ code: 'USAGE', message: `unknown command "${name}"` })
  return await (await load())(argv, ctx)
}
