// The reporters of a command line, as makeReporters makes them, plus one
// thing: `--json -` and `--junit -` put that report on stdout (for a pipe:
// nslab run snat-outbound --json - | jq …). The report is then the whole of
// stdout, and the terminal's lines go to stderr, where a person still sees them.
import { colorEnabled } from '../util/colors.js'
import { nslabVersion } from '../util/nslab-version.js'
import { safeJson } from '../util/safe-text.js'
import { collectRun } from '../report/collect-run.js'
import { combineReporters } from '../report/combine-reporters.js'
import { makeReporters, type ReporterFlags } from '../report/make-reporters.js'
import type { Reporter } from '../report/reporter.js'

/**
 * The reporters, and the stream for the lines a command prints besides them
 * (stderr when stdout is a report's). callerWritesJson: the command writes
 * the JSON itself (report merge writes the merge), to stdout for --json -.
 */
export async function commandReporters(flags: ReporterFlags, opts: { callerWritesJson?: boolean } = {}): Promise<{ reporter: Reporter; out: NodeJS.WriteStream }> {
  const json = flags.json === '-'
  const junit = flags.junit === '-'
  if (!json && !junit) return { reporter: await makeReporters(flags), out: flags.reporter === 'tap' ? process.stderr : process.stdout }
  const list: Reporter[] = []
  const { createTerminalReporter } = await import('../report/terminal-reporter.js')
  list.push(createTerminalReporter({ stream: process.stderr, color: colorEnabled(process.stderr), verbose: flags.verbose, isTTY: Boolean(process.stderr.isTTY) }))
  // The other report, if any, to its file as usual.
  if (flags.json && !json && !opts.callerWritesJson) list.push(await makeFileReporter({ json: flags.json }))
  if (flags.junit && !junit) list.push(await makeFileReporter({ junit: flags.junit }))
  if (junit) list.push(await stdoutJunitReporter())
  else if (!opts.callerWritesJson) list.push(await stdoutJsonReporter())
  return { reporter: combineReporters(list), out: process.stderr }
}

async function makeFileReporter(files: { json?: string; junit?: string }): Promise<Reporter> {
  if (files.json) {
    const { createJsonReporter } = await import('../report/json-reporter.js')
    return createJsonReporter({ file: files.json, version: nslabVersion() })
  }
  const { createJunitReporter } = await import('../report/junit-reporter.js')
  return createJunitReporter({ file: files.junit! })
}

/** A report written to stdout when the run ends, in one write. */
function stdoutReporter(text: (run: ReturnType<typeof collectRun>) => string): Reporter {
  const run = collectRun()
  let closed = false
  return {
    onEvent: (e) => run.onEvent(e),
    async close() {
      if (closed) return
      closed = true
      const body = text(run)
      await new Promise<void>((resolve) => process.stdout.write(body, () => resolve()))
    },
  }
}

async function stdoutJsonReporter(): Promise<Reporter> {
  const { jsonReport } = await import('../report/json-reporter.js')
  const version = nslabVersion()
  return stdoutReporter((run) => {
    const report = jsonReport({
      version,
      startTime: run.runStart,
      durationMs: run.durationMs ?? Date.now() - run.runStart,
      complete: run.durationMs !== undefined,
      jobs: run.jobs,
      files: run.files,
      results: run.results,
      startTimes: run.startTimes,
    })
    return `${safeJson(JSON.stringify(report, null, 2))}\n`
  })
}

async function stdoutJunitReporter(): Promise<Reporter> {
  const { junitXml } = await import('../report/junit-reporter.js')
  return stdoutReporter((run) => junitXml(run.results, run.durationMs ?? Date.now() - run.runStart, run.startTimes))
}
