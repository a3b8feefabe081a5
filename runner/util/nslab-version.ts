import { readFileSync } from 'node:fs'

/** nslab's version, from its package.json (two folders up from dist/runner/). */
export function nslabVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}
