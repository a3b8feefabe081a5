// `http FROM URL backends="web-a web-b web-c" [count=N]`: the words of the
// backends= option, how many requests the check sends, and what is wrong with
// them as written. Kept apart from parse-check.ts so the probe (checks/http-backends.ts)
// reads the same words and the same default count as lint.

/** Most requests one check sends: each a curl of its own, up to 2 s each. */
export const MAX_HTTP_REQUESTS = 200
/** Most backends one check names (each gets 10 requests by default). */
export const MAX_HTTP_BACKENDS = 20
/** Requests per backend when count= is not given… */
const REQUESTS_PER_BACKEND = 10
/** …and never fewer than this. */
const MIN_DEFAULT_REQUESTS = 20

/** A character that continues a name: a backend's word must not touch one ("web-a" is not in "web-ab"). */
const NAME_CHAR = /[A-Za-z0-9_-]/

export interface HttpBackends {
  /** The backends' words, as listed. */
  words: string[]
  /** How many requests the check sends. */
  count: number
}

/**
 * The backends a check lists and how many requests it sends, or undefined
 * without backends=. By default 10 per backend and at least 20: with random
 * balancing, a backend then misses out by chance about once in 500,000 runs
 * with 2 backends, in 60,000 with 3, in 4,000 with 10 (k·(1−1/k)^N).
 */
export function httpBackendsOf(options: Record<string, string>): HttpBackends | undefined {
  if (options.backends === undefined) return undefined
  const words = backendWords(options.backends)
  const count = options.count !== undefined ? Number(options.count) : Math.min(MAX_HTTP_REQUESTS, Math.max(MIN_DEFAULT_REQUESTS, REQUESTS_PER_BACKEND * words.length))
  return { words, count }
}

function backendWords(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '')
}

/**
 * Which of the words a page names: each where neither of its ends touches a
 * letter, digit, `_` or `-` ("web-a." names web-a, "web-ab" does not).
 */
export function backendsNamed(page: string, words: readonly string[]): string[] {
  return words.filter((w) => {
    for (let at = page.indexOf(w); at >= 0; at = page.indexOf(w, at + 1)) {
      const before = page[at - 1]
      const after = page[at + w.length]
      if ((before === undefined || !NAME_CHAR.test(before)) && (after === undefined || !NAME_CHAR.test(after))) return true
    }
    return false
  })
}

/** What is wrong with an http check's backends= and count= (and its negation), if anything. */
export function httpBackendsProblem(options: Record<string, string>, negated: boolean): string | undefined {
  if (options.backends === undefined) {
    if (options.count !== undefined) return `count= is the number of requests spread over backends=: add the backends, e.g. http client http://10.96.0.10/ count=${options.count} backends="web-a web-b"`
    return undefined
  }
  const words = backendWords(options.backends)
  if (words.length === 0) return 'backends= needs the words the backends answer with, e.g. backends="web-a web-b web-c"'
  if (words.length > MAX_HTTP_BACKENDS) return `backends= lists ${words.length} backends: at most ${MAX_HTTP_BACKENDS}`
  const twice = words.find((w, i) => words.indexOf(w) !== i)
  if (twice !== undefined) return `backends= lists "${twice}" twice`
  for (const w of words) {
    const inside = words.find((other) => other !== w && backendsNamed(other, [w]).length > 0)
    if (inside !== undefined) return `backends= lists "${w}", which is part of "${inside}": an answer naming ${inside} would name both; each answer must name exactly one backend`
  }
  if (options.count !== undefined) {
    const count = /^\d{1,4}$/.test(options.count) ? Number(options.count) : NaN
    if (!(count >= 1 && count <= MAX_HTTP_REQUESTS)) return `bad count="${options.count}": write how many requests to send, 1 to ${MAX_HTTP_REQUESTS}, e.g. count=30`
    if (count < words.length) return `count=${count} is fewer requests than the ${words.length} backends listed: every backend must answer at least once`
  }
  if (options.within !== undefined) {
    return 'within= does not go with backends=: the requests are judged once, on who answered them; to wait for the service first, put a plain http check before this one'
  }
  if (negated) {
    return 'no http … backends= would pass when the address does not answer at all: write the backends that must answer (an answer from any other fails the check), e.g. http client http://10.96.0.10/ backends="web-a web-b"'
  }
  return undefined
}
