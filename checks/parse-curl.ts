/** curl's -w output after the body: the marker, the status code, a newline. */
export const CURL_MARKER = '@@NSLAB-CURL@@'
/** The -w argument that goes with parseCurl. */
export const CURL_WRITE_OUT = `\\n${CURL_MARKER} %{http_code}\\n`

export type CurlOutcome =
  /** An HTTP response came back (any status). */
  | 'response'
  /** No connection (refused, unreachable): curl exit 7. */
  | 'connect'
  /** Nothing (or not all) came back in time: curl exit 28. */
  | 'timeout'
  /** The host name did not resolve: curl exit 6. */
  | 'resolve'
  /** Anything else: curl's own message says what. */
  | 'error'

export interface CurlReport {
  outcome: CurlOutcome
  /** HTTP status, or null when there was no response (curl prints 000). */
  status: number | null
  body: string
  /** curl's exit status: from "curl: (N) …" or the process. */
  curlCode: number | null
  /** curl's message without "curl: (N) ": "Failed to connect to … Couldn't connect to server". */
  error?: string
}

/**
 * Read `curl -sS -o- -w "\n@@NSLAB-CURL@@ %{http_code}\n" URL`: the body,
 * the status after the marker, and curl's error line on stderr.
 */
export function parseCurl(r: { stdout: string; stderr: string; exitCode: number | null }): CurlReport {
  const at = r.stdout.lastIndexOf(`\n${CURL_MARKER} `)
  let status: number | null = null
  let body = r.stdout
  if (at >= 0) {
    body = r.stdout.slice(0, at)
    const code = /^(\d{3})/.exec(r.stdout.slice(at + CURL_MARKER.length + 2))
    if (code && code[1] !== '000') status = Number(code[1])
  }
  const err = /^curl: \((\d+)\) (.*)$/m.exec(r.stderr)
  const curlCode = err ? Number(err[1]) : r.exitCode
  const report: CurlReport = { outcome: 'error', status, body, curlCode }
  if (err) report.error = err[2]!.trim()
  else if (r.stderr.trim()) report.error = r.stderr.trim().split('\n').pop()!
  if (status !== null && (curlCode === 0 || curlCode === null)) report.outcome = 'response'
  else if (curlCode === 7) report.outcome = 'connect'
  else if (curlCode === 28) report.outcome = 'timeout'
  else if (curlCode === 6) report.outcome = 'resolve'
  else if (status !== null) report.outcome = 'response'
  return report
}
