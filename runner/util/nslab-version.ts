import { readFileSync } from 'node:fs'
import { packageRoot } from './package-root.js'

/** nslab's version, from its package.json. */
export function nslabVersion(): string {
  const pkg = JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as { version: string }
  return pkg.version
}
