import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { suggestion } from '../util/did-you-mean.js'
import { NslabError } from '../util/nslab-error.js'
import { packageRoot } from '../util/package-root.js'

/** The labs that come with nslab (its labs/ folder), by name: "snat-outbound" → its absolute path. */
export function shippedLab(name: string): string {
  const dir = join(packageRoot(), 'labs')
  const base = String(name).replace(/^labs\//, '').replace(/\.md$/, '')
  const file = join(dir, `${base}.md`)
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(base) && existsSync(file)) return file
  const names = shippedLabs().map((f) => f.slice(dir.length + 1, -3))
  throw new NslabError({ code: 'NOT_FOUND', message: `nslab ships no lab "${base}"${suggestion(base, names) || `; it ships ${names.join(', ')}`}` })
}

/** Every lab that comes with nslab, as absolute paths, sorted. */
export function shippedLabs(): string[] {
  const dir = join(packageRoot(), 'labs')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md')
    .sort()
    .map((f) => join(dir, f))
}
