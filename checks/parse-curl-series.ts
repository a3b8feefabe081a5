import { CURL_MARKER, parseCurl, type CurlReport } from './parse-curl.js'

/** The line the shell loop prints after each request: the marker and curl's exit status. */
export const CURL_END_MARKER = '@@NSLAB-END@@'

export interface CurlSeries {
  /** One report per request that ended, in order. */
  requests: CurlReport[]
  /** What came after the last request that ended (a request cut short), if anything. */
  rest: string
}

/**
 * Read the output of a shell loop of curls, each request printed as
 * `BODY\n@@NSLAB-CURL@@ STATUS\n` (curl's -w, see parseCurl), then curl's own
 * error lines, then `@@NSLAB-END@@ EXIT\n`. Each request is read as parseCurl
 * reads one.
 */
export function parseCurlSeries(stdout: string): CurlSeries {
  const requests: CurlReport[] = []
  const end = new RegExp(`^${CURL_END_MARKER} (\\d+)$\\n?`, 'gm')
  let from = 0
  for (let m = end.exec(stdout); m; m = end.exec(stdout)) {
    requests.push(readRequest(stdout.slice(from, m.index), Number(m[1])))
    from = m.index + m[0].length
  }
  return { requests, rest: stdout.slice(from) }
}

/** One request's text: curl's stdout up to its marker line, its error lines after. */
function readRequest(text: string, exitCode: number): CurlReport {
  const at = text.lastIndexOf(`\n${CURL_MARKER} `)
  if (at < 0) return parseCurl({ stdout: '', stderr: text, exitCode })
  const lineEnd = text.indexOf('\n', at + 1)
  const split = lineEnd < 0 ? text.length : lineEnd + 1
  return parseCurl({ stdout: text.slice(0, split), stderr: text.slice(split), exitCode })
}
