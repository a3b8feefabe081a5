import type { Check } from '../runner/lab/lab.js'
import { builtinChains, IPTABLES_TABLES } from './builtin-chains.js'
import type { CheckContext, Probe } from './check-context.js'
import { formatSeconds } from './format-seconds.js'
import { invalidProbe } from './invalid-probe.js'
import { jumpTarget, lookUpRule } from './look-up-rule.js'
import type { SavedRule } from './parse-iptables-save.js'
import type { ProbeOptions } from './probe-fn.js'
import { specText } from './spec-text.js'

/** How many of a chain's rules a sentence lists. */
const LIST_MAX = 10

/**
 * `rule TABLE CHAIN SPEC… [min-packets=N]`: CHAIN of TABLE on the lab host
 * holds a rule equal to SPEC as iptables itself prints both (see lookUpRule).
 * min-packets: the matching rule's counter has seen at least N packets.
 */
export async function ruleProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [table, chain, ...spec] = check.args
  if (!table || !chain || spec.length === 0) return invalidProbe('rule needs a table, a chain and a rule: "rule nat POSTROUTING -s 172.17.0.0/16 -j MASQUERADE"')
  if (!builtinChains(table)) return invalidProbe(`"${table}" is not an iptables table (${IPTABLES_TABLES.join(', ')})`)
  let minPackets: number | undefined
  if (check.options['min-packets'] !== undefined) {
    const v = check.options['min-packets']
    if (!/^\d+$/.test(v)) return invalidProbe(`min-packets=${v} is not a whole number`)
    minPackets = Number(v)
  }
  const written = specText(spec)
  const l = await lookUpRule(ctx, { machine: 'host', table, chain, spec, written, timeoutMs: opts.timeoutMs })
  const evidence = l.evidence
  if (l.exec.timedOut) return { holds: false, sentence: `host did not finish reading its ${table} table within ${formatSeconds(opts.timeoutMs)}`, evidence }
  if (l.targetError) return invalidProbe(`host could not read its ${table} table: ${l.targetError}`, evidence)
  if (l.scratchError) return invalidProbe(`host could not make a scratch copy of ${table} to read the rule "${written}": ${l.scratchError}`, evidence)
  const t = l.target!.tables.get(table)
  // iptables-nft prints an absent table's built-in chains; legacy always has them.
  const chainExists = t ? t.chains.has(chain) : builtinChains(table)!.includes(chain)
  if (l.rejected !== undefined) {
    const jump = jumpTarget(spec)
    const missing = jump && !(t?.chains.has(jump) ?? false) && (l.rejected.includes(`Chain '${jump}' does not exist`) || l.rejected.includes(`Couldn't load target \`${jump}'`))
    if (missing && chainExists) {
      // Not a broken lab: the chain it jumps to is gone, so no such rule can exist.
      return { holds: false, sentence: `${table} ${chain} has no rule like "${written}" (${table} has no chain ${jump})`, expected: `-A ${chain} ${written}`, got: `no chain ${jump}`, evidence }
    }
    return invalidProbe(`iptables rejects the rule "${written}" for ${table} ${chain}: ${l.rejected}`, evidence)
  }
  const canonical = l.canonical!
  const like = canonical.map((c) => c.replace(/^-A \S+ /, '')).join('; ')
  const expected = canonical.join('\n') + (minPackets !== undefined ? `\n(at least ${minPackets} packets)` : '')
  if (!chainExists) return { holds: false, sentence: `${table} has no chain ${chain}`, expected, got: `no chain ${chain}`, evidence }
  const rules = (t?.rules ?? []).filter((r) => r.chain === chain)
  const got = rules.map((r) => `${r.packets !== undefined ? `[${r.packets}:${r.bytes}] ` : ''}${r.text}`).join('\n') || '(empty chain)'
  const matches = canonical.map((c) => rules.filter((r) => r.text === c))
  if (matches.some((m) => m.length === 0)) {
    return { holds: false, sentence: `${table} ${chain} has no rule like "${like}"; ${listRules(rules)}`, expected, got, evidence }
  }
  if (minPackets === undefined) return { holds: true, sentence: `${table} ${chain} has the rule "${like}"`, expected, got, evidence }
  // A rule that iptables expands into several (-s a,b) counts all of them.
  const packets = matches.reduce((sum, m) => sum + Math.max(...m.map((r) => r.packets ?? 0)), 0)
  const counted = `${packets} packet${packets === 1 ? '' : 's'}`
  if (packets >= minPackets) {
    return { holds: true, sentence: `${table} ${chain} has the rule "${like}" and it has counted ${counted} (at least ${minPackets} wanted)`, expected, got, evidence }
  }
  return { holds: false, sentence: `${table} ${chain} has the rule "${like}" but it has counted ${counted}, not at least ${minPackets}`, expected, got, evidence }
}

function listRules(rules: SavedRule[]): string {
  if (rules.length === 0) return 'it is empty'
  const shown = rules.slice(0, LIST_MAX).map((r) => r.text).join('; ')
  return `it has: ${shown}${rules.length > LIST_MAX ? `; … (${rules.length - LIST_MAX} more)` : ''}`
}
