// How an entry of the nslab command runs its main function (cli.ts, and
// run-cli.ts for `nslab run` alone): the exit code it returns, an exception
// reported as one (report-fatal), and no wait for node's own teardown.

/** Run MAIN on the command's arguments, its code the process's exit code. */
export function startCli(main: (argv: string[]) => Promise<number>): void {
  // Once nothing is left to run (node emits beforeExit only when no timer, handle or child keeps it
  // alive), the process ends at once: node's own teardown of its heap after that costs 15–25 ms a
  // command here and runs nothing of ours. 'exit' listeners still run; stdout is written by then.
  process.once('beforeExit', () => process.exit())

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
}
