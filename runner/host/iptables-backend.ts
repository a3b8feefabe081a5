import { realpathSync } from 'node:fs'
import { basename } from 'node:path'
import { findProgram } from './require-programs.js'

/**
 * The iptables back end a sandbox gets: the one asked for, else the one this
 * machine's `iptables-restore` is (Debian switches it with alternatives; the
 * program it resolves to is xtables-nft-multi or xtables-legacy-multi).
 * Undefined when that cannot be told.
 */
export function iptablesBackend(asked?: 'nft' | 'legacy'): 'nft' | 'legacy' | undefined {
  if (asked) return asked
  const p = findProgram('iptables-restore')
  if (!p) return undefined
  try {
    const real = basename(realpathSync(p))
    return /nft/.test(real) ? 'nft' : /legacy/.test(real) ? 'legacy' : undefined
  } catch {
    return undefined
  }
}
