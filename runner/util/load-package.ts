import { createRequire } from 'node:module'
import { packageRoot } from './package-root.js'

let req: NodeRequire | undefined

/**
 * A dependency loaded when it is first needed, not when nslab starts: the
 * bundle would otherwise compile it for every command (RE2JS is 275 KB and
 * only labs with a `stdout /regex/` check need it). Resolved from nslab's own
 * folder, as in the bundle, the sources and the VM guest alike.
 */
export function loadPackage<T>(name: string): T {
  req ??= createRequire(`${packageRoot()}/package.json`)
  return req(name) as T
}
