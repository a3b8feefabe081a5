import { NslabError } from './nslab-error.js'

/** A size on the command line: 512, 64K, 1M, 2G (binary units; a bare number is bytes). */
export function parseSize(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim())
  if (!m) throw new NslabError({ code: 'USAGE', message: `${option} takes a size like 64K, 1M or 2G, not "${text}"` })
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g']
  return Math.round(Number(m[1]) * unit)
}
