import type { Check } from '../runner/lab/lab.js'
import { httpBackendsOf } from '../runner/lab/http-backends.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { formatSeconds } from './format-seconds.js'
import { invalidProbe } from './invalid-probe.js'
import { CURL_WRITE_OUT } from './parse-curl.js'
import { CURL_END_MARKER, parseCurlSeries } from './parse-curl-series.js'
import { tallyBackends } from './tally-backends.js'

/** How long one request of a series may take: an answer on a lab host takes milliseconds. */
export const BACKEND_REQUEST_MS = 2000
/** Room per request for starting curl on a busy machine, and for the shell and reading it all. */
const START_MS = 100
const READ_MS = 2000

/**
 * How long an `http … backends=` check takes at most: each request its 2 s
 * and curl's start, then reading it all. Undefined for a plain http check
 * (one request, retried within its window).
 */
export function httpSeriesMs(check: Check): number | undefined {
  const b = httpBackendsOf(check.options)
  return b === undefined ? undefined : b.count * (BACKEND_REQUEST_MS + START_MS) + READ_MS
}

/**
 * `http FROM URL backends="web-a web-b" [count=N]`: N GETs of one address,
 * each a connection of its own (each a new curl), in one shell loop on FROM,
 * judged once on who answered them (see tallyBackends). `resolve` is the
 * --resolve option httpProbe worked out for the URL's host, if any.
 */
export async function httpBackendsProbe(check: Check, ctx: CheckContext, from: string, url: string, resolve: string, timeoutMs: number): Promise<Probe> {
  const b = httpBackendsOf(check.options)!
  if (check.negated) return invalidProbe('no http … backends= cannot be judged: it would pass when the address does not answer at all; list the backends that must answer')
  const status = check.options.status ?? '2xx'
  const contains = check.options.contains
  const curl = `curl -sS -o- -w ${shellQuote(CURL_WRITE_OUT)} --noproxy '*' --globoff --max-time ${BACKEND_REQUEST_MS / 1000}${resolve} --url ${shellQuote(url)}`
  // curl's errors are kept (e) and printed after its answer, so that each request's lines stay together.
  // A request that timed out, or a host that does not resolve, ends the loop: the rest would fail alike.
  const script = [
    'exec 3>&1',
    'i=0',
    `while [ "$i" -lt ${b.count} ]; do`,
    '  i=$((i + 1))',
    `  e=$(${curl} 2>&1 >&3)`,
    '  c=$?',
    `  [ -z "$e" ] || printf '%s\\n' "$e"`,
    `  echo "${CURL_END_MARKER} $c"`,
    '  case $c in 6|28|126|127) break ;; esac',
    'done',
  ].join('\n')
  const r = await ctx.look({ machine: from, script, timeoutMs: timeoutMs + 200 })
  const evidence = [evidenceOf(r)]
  const expected = `each of ${b.count} answers from one of ${b.words.join(', ')}, and each of them at least once`
  const series = parseCurlSeries(r.stdout)
  const problem = execProblem(r, `curl ${url}`, timeoutMs)
  const lastCode = series.requests[series.requests.length - 1]?.curlCode
  if (problem?.missing || lastCode === 127 || lastCode === 126) {
    const line = series.requests[series.requests.length - 1]?.error ?? r.output.trim().split('\n').pop() ?? 'command not found'
    return invalidProbe(problem?.missing ? problem.sentence : `${from} cannot run curl ${url} (${line})`, evidence)
  }
  const t = tallyBackends(series.requests, { words: b.words, count: b.count, status, ...(contains !== undefined ? { contains } : {}), requestText: formatSeconds(BACKEND_REQUEST_MS) })
  if (problem) return { holds: false, sentence: `${problem.sentence}: ${t.tally}`, expected, got: t.tally, evidence }
  const why = t.holds ? 'every backend answered' : t.problems.join('; ')
  return { holds: t.holds, sentence: `${from} → ${url}: ${t.tally}; ${why}`, expected, got: t.tally, evidence }
}
