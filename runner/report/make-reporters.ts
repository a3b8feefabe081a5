import { colorEnabled } from '../util/colors.js'
import { combineReporters } from './combine-reporters.js'
import type { Reporter } from './reporter.js'

export interface ReporterFlags {
  reporter: string
  junit?: string
  json?: string
  verbose: boolean
}

/** The reporters a command line asks for: one on stdout, and report files. */
export async function makeReporters(flags: ReporterFlags): Promise<Reporter> {
  const list: Reporter[] = []
  if (flags.reporter === 'tap') {
    const { createTapReporter } = await import('./tap-reporter.js')
    list.push(createTapReporter({ stream: process.stdout }))
  } else {
    const { createTerminalReporter } = await import('./terminal-reporter.js')
    const isTTY = Boolean(process.stdout.isTTY)
    list.push(
      createTerminalReporter({
        stream: process.stdout,
        color: colorEnabled(process.stdout),
        verbose: flags.verbose,
        isTTY,
      }),
    )
  }
  if (flags.junit) {
    const { createJunitReporter } = await import('./junit-reporter.js')
    list.push(createJunitReporter({ file: flags.junit }))
  }
  if (flags.json) {
    const { createJsonReporter } = await import('./json-reporter.js')
    const { nslabVersion } = await import('../util/nslab-version.js')
    list.push(createJsonReporter({ file: flags.json, version: nslabVersion() }))
  }
  return list.length === 1 ? list[0]! : combineReporters(list)
}
