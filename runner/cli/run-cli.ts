// `nslab run` alone, as its own bundle (scripts/build-bin.mjs: nslab-run.cjs,
// which the launcher runs when the first argument is `run`): the code of the
// other commands (the web page, grading, sessions, import…) is not in it, so
// that node reads, and takes from the code cache, some 40% less before a
// lab host can start. What it does is cli.ts's `nslab run …`, to the byte.
import { runCommand } from './run-command.js'
import { startCli } from './start-cli.js'

startCli(async (argv) => {
  // The launcher sends nothing else here; anything else is a bug of the build.
  if (argv[0] !== 'run') throw new Error(`run-cli: not a run (${argv[0] ?? 'no command'})`)
  return await runCommand(argv.slice(1))
})
