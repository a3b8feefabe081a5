import { isIPv4 } from 'node:net'
import type { Check } from '../runner/lab/lab.js'
import { shellQuote } from '../runner/util/shell-quote.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { formatSeconds } from './format-seconds.js'
import { httpBackendsProbe } from './http-backends.js'
import { invalidProbe } from './invalid-probe.js'
import { CURL_WRITE_OUT, parseCurl } from './parse-curl.js'
import type { ProbeOptions } from './probe-fn.js'
import { machineAddress } from './machine-address.js'

/**
 * `http FROM URL [status=N] [contains="…"]`: a GET from FROM gets a response
 * with that status (default any 2xx; `status=3xx` works too) whose body
 * contains the text. Redirects are not followed: the status is the server's own.
 * With `backends="a b …"`, a series of requests judged once on who answered
 * them (see httpBackendsProbe).
 */
export async function httpProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [from, url] = check.args
  if (check.args.length !== 2 || !from || !url) return invalidProbe('http needs a machine and a URL: "http FROM URL"')
  const wanted = (check.options.status ?? '2xx').toLowerCase()
  if (!/^[1-5](\d\d|xx)$/.test(wanted)) return invalidProbe(`status=${check.options.status} is not an HTTP status (e.g. 200, 404, 2xx)`)
  const contains = check.options.contains
  const maxTime = Math.max(0.1, (opts.timeoutMs - 100) / 1000).toFixed(2)
  // -sS: no progress bar but errors; the marker line after the body carries the status.
  // curl runs outside the lab host's files, so names are resolved here, as the lab host resolves them
  // (machine names as FROM reaches them, else the lab host's own /etc/hosts), and handed to curl:
  // no lookup leaves the lab's network.
  let resolve = ''
  const host = hostOf(url)
  if (host && !isIPv4(host) && ctx.resolveName) {
    const address = (await machineAddress(ctx, host, from)) ?? (await ctx.resolveName(host, from))
    if (!address) {
      const r0 = { machine: from, command: `getent hosts ${host}`, exitCode: 2, stdout: '', stderr: '', output: '', durationMs: 0, timedOut: false }
      return { holds: false, sentence: `${from} could not resolve the host of ${url} (${host} is neither a machine of this lab nor a name in its /etc/hosts)`, expected: 'a response', got: `no address for ${host}`, evidence: [evidenceOf(r0)] }
    }
    resolve = ` --resolve ${shellQuote(`${host}:${portOf(url)}:${address}`)}`
  }
  if (check.options.backends !== undefined) return httpBackendsProbe(check, ctx, from, url, resolve, opts.timeoutMs)
  const script = `curl -sS -o- -w ${shellQuote(CURL_WRITE_OUT)} --noproxy '*' --globoff --max-time ${maxTime}${resolve} --url ${shellQuote(url)}`
  const r = await ctx.look({ machine: from, script, timeoutMs: opts.timeoutMs + 200 })
  const evidence = [evidenceOf(r)]
  const expected = `status ${wanted}${contains !== undefined ? `, a page containing ${JSON.stringify(contains)}` : ''}`
  const c = parseCurl(r)
  if (c.outcome !== 'response' || c.status === null) {
    const problem = execProblem(r, `curl ${url}`, opts.timeoutMs)
    if (problem?.missing) return invalidProbe(problem.sentence, evidence)
    const said = c.error ? ` (${c.error})` : ''
    let sentence: string
    if (c.outcome === 'connect') sentence = `${from} could not connect to ${url}${said}`
    else if (c.outcome === 'timeout') sentence = `${from} got no response from ${url} within ${formatSeconds(opts.timeoutMs)}${said}`
    else if (c.outcome === 'resolve') sentence = `${from} could not resolve the host of ${url}${said}`
    else sentence = problem?.sentence ?? `${from} got no response from ${url}${said || ` (curl exit ${r.exitCode})`}`
    return { holds: false, sentence, expected, got: c.error ?? 'no response', evidence }
  }
  const statusOk = wanted.endsWith('xx') ? String(c.status)[0] === wanted[0] : String(c.status) === wanted
  const got = `status ${c.status}${contains !== undefined ? `, ${c.body.includes(contains) ? 'a page containing the text' : 'a page without the text'}` : ''}`
  if (!statusOk) return { holds: false, sentence: `${from} got ${c.status} from ${url}, not ${wanted}`, expected, got, evidence }
  if (contains !== undefined && !c.body.includes(contains)) {
    return { holds: false, sentence: `${from} got ${c.status} from ${url} but the page does not contain ${JSON.stringify(contains)}`, expected, got, evidence }
  }
  const with_ = contains !== undefined ? ` and the page contains ${JSON.stringify(contains)}` : ''
  return { holds: true, sentence: `${from} got ${c.status} from ${url}${with_}`, expected, got, evidence }
}

/** The host name of a URL as curl reads it (a scheme-less URL is http). */
function hostOf(url: string): string | undefined {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`).hostname || undefined
  } catch {
    return undefined
  }
}

/** The port of a URL: its own, or its scheme's. */
function portOf(url: string): number {
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`)
    return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80
  } catch {
    return 80
  }
}
