import { NslabError } from '../util/nslab-error.js'
import { parseDuration } from '../util/parse-duration.js'

/** A duration on the command line, as a lab writes one (10s, 2m); a bare number is seconds. */
export function parseDurationArg(text: string, option: string): number {
  const t = text.trim()
  const r = parseDuration(/^\d+(\.\d+)?$/.test(t) ? `${t}s` : t)
  if ('error' in r) throw new NslabError({ code: 'USAGE', message: `${option}: ${r.error}` })
  return r.ms
}
