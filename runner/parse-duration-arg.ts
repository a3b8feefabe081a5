import { NslabError } from './nslab-error.js'

/** A duration on the command line: 500ms, 10s, 1.5s, 2m (a bare number is seconds). */
export function parseDurationArg(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (!m) throw new NslabError({ code: 'USAGE', message: `${option} takes a duration like 30s or 2m, not "${text}"` })
  const n = Number(m[1])
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000)
}
