import { backendsNamed } from '../runner/lab/http-backends.js'
import type { CurlReport } from './parse-curl.js'

export interface BackendsWanted {
  /** The backends' words, as listed. */
  words: string[]
  /** How many requests were to be sent. */
  count: number
  /** The status every answer must have: 200, or a class (2xx). */
  status: string
  /** Text every answer's page must contain, if any. */
  contains?: string
  /** How long one request may take, for the sentence of one that timed out. */
  requestText: string
}

export interface BackendsTally {
  holds: boolean
  /** "web-a 11, web-b 9, web-c 10 of 30 requests". */
  tally: string
  /** What went wrong, one clause each: "web-c never answered". Empty when it holds. */
  problems: string[]
}

/** Longest piece of an odd page quoted in a sentence. */
const QUOTE_CHARS = 60

/**
 * Judge the answers of a series of requests to one load-balanced address:
 * it holds when every request was answered with the status (and text)
 * wanted by a page that names exactly one of the backends, and every backend
 * answered at least once.
 */
export function tallyBackends(requests: CurlReport[], w: BackendsWanted): BackendsTally {
  const counts = new Map(w.words.map((word) => [word, 0]))
  const failed: { n: number; r: CurlReport }[] = []
  const odd: { n: number; why: string }[] = []
  requests.forEach((r, i) => {
    const n = i + 1
    if (r.outcome !== 'response' || r.status === null) return failed.push({ n, r })
    if (!statusIs(r.status, w.status)) return odd.push({ n, why: `got ${r.status}, not ${w.status}` })
    if (w.contains !== undefined && !r.body.includes(w.contains)) return odd.push({ n, why: `got a page without ${JSON.stringify(w.contains)}: ${quote(r.body)}` })
    const named = backendsNamed(r.body, w.words)
    if (named.length === 0) return odd.push({ n, why: `got ${quote(r.body)}, which names none of ${w.words.join(', ')}` })
    if (named.length > 1) return odd.push({ n, why: `got a page that names ${list(named, 'and')}: ${quote(r.body)}` })
    counts.set(named[0]!, counts.get(named[0]!)! + 1)
  })
  const tally = `${[...counts].map(([word, c]) => `${word} ${c}`).join(', ')} of ${requests.length} request${requests.length === 1 ? '' : 's'}`
  const problems: string[] = []
  if (failed.length) problems.push(failedClause(failed, requests.length, w))
  if (odd.length === 1) problems.push(`request ${odd[0]!.n} ${odd[0]!.why}`)
  else if (odd.length > 1) problems.push(`${odd.length} of ${requests.length} answers were wrong, the first (request ${odd[0]!.n}) ${odd[0]!.why}`)
  const last = failed[failed.length - 1]
  const stopped = last !== undefined && last.n === requests.length && requests.length < w.count
  if (!stopped && requests.length < w.count) problems.push(`only ${requests.length} of the ${w.count} requests ended`)
  // Without one good answer, "never answered" would say of every backend what the clauses above say better.
  const silent = [...counts].filter(([, c]) => c === 0).map(([word]) => word)
  if (silent.length && (silent.length < w.words.length || problems.length === 0)) problems.push(`${list(silent, 'and')} never answered`)
  return { holds: problems.length === 0, tally, problems }
}

function statusIs(status: number, wanted: string): boolean {
  const w = wanted.toLowerCase()
  return w.endsWith('xx') ? String(status)[0] === w[0] : String(status) === w
}

/** The failed requests in a clause: how many, what curl said of the first, and whether the loop stopped there. */
function failedClause(failed: { n: number; r: CurlReport }[], made: number, w: BackendsWanted): string {
  const first = failed[0]!
  const last = failed[failed.length - 1]!
  const what = (r: CurlReport) => {
    const said = r.error ? ` (${r.error})` : r.curlCode !== null ? ` (curl exit ${r.curlCode})` : ''
    if (r.outcome === 'connect') return `could not connect${said}`
    if (r.outcome === 'timeout') return `got no response within ${w.requestText}${said}`
    if (r.outcome === 'resolve') return `could not resolve the host${said}`
    return `got no response${said}`
  }
  // The loop stops at a request that times out (or cannot resolve): the rest would only wait as long.
  const stopped = last.n === made && made < w.count ? `, so the other ${w.count - made} were not sent` : ''
  if (failed.length === 1) return `request ${first.n} ${what(first.r)}${stopped}`
  return `${failed.length} of ${made} requests failed, the first (request ${first.n}) ${what(first.r)}${stopped}`
}

/** A page's first line, trimmed and quoted: "web-d" or "<html>…". */
function quote(body: string): string {
  const line = body.trim().split('\n')[0]!.trim()
  if (line === '') return 'an empty page'
  return JSON.stringify(line.length > QUOTE_CHARS ? `${line.slice(0, QUOTE_CHARS)}…` : line)
}

/** "a", "a and b", "a, b and c". */
function list(words: string[], and: string): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} ${and} ${words[words.length - 1]}`
}
