import type { Check } from '../runner/lab/lab.js'
import { NFT_CHAIN_TYPES, NFT_FAMILIES, NFT_HOOKS, NFT_NAME, NFT_POLICIES, nftPriority } from '../runner/lab/nft-names.js'
import type { CheckContext, Probe } from './check-context.js'
import { formatSeconds } from './format-seconds.js'
import { invalidProbe } from './invalid-probe.js'
import { lookUpNft, type NftListError, type NftLookup } from './look-up-nft.js'
import { nftHasCounter, nftHasXt, nftPackets, nftRuleKey } from './nft-rule-key.js'
import type { NftChain, NftRule } from './parse-nft-json.js'
import type { NftListedRule } from './parse-nft-list.js'
import type { ProbeOptions } from './probe-fn.js'

/** How many of a chain's rules (or a table's chains) a sentence lists. */
const LIST_MAX = 10

/**
 * `nft NAME FAMILY TABLE [CHAIN [RULE…]]`, on machine NAME:
 * - with RULE: CHAIN holds a rule that does what RULE does, as nft itself reads
 *   both (lookUpNft): any spelling nft takes for the same rule, its matches in
 *   any order. A `counter` is compared only when RULE has one (iptables-nft's
 *   rules always count; a rule written without one does not ask). min-packets=N:
 *   the rule's counter has seen at least N packets;
 * - CHAIN alone: the chain exists, with type=, hook=, priority=, policy= when given;
 * - TABLE alone: the table exists.
 */
export async function nftProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [machine, family, table, chain, ...words] = check.args
  if (!machine || !family || !table) return invalidProbe('nft needs a machine, a family and a table: "nft host ip lab postrouting ip saddr 10.0.0.0/8 masquerade"')
  if (!(NFT_FAMILIES as readonly string[]).includes(family)) return invalidProbe(`"${family}" is not a family of nftables (${NFT_FAMILIES.join(', ')})`)
  for (const name of [table, chain]) if (name !== undefined && !NFT_NAME.test(name)) return invalidProbe(`"${name}" is not a name nft reads unquoted`)
  const rule = words.length ? words.join(' ') : undefined
  if (rule !== undefined && /[;#\n]/.test(rule.replace(/"[^"\n]*"/g, ''))) return invalidProbe(`the rule "${rule}" holds a ; or # outside quotes: one rule per check`)
  let minPackets: number | undefined
  if (check.options['min-packets'] !== undefined) {
    const v = check.options['min-packets']
    if (!/^\d+$/.test(v) || rule === undefined) return invalidProbe(`min-packets=${v} needs a rule and a whole number`)
    minPackets = Number(v)
  }
  const l = await lookUpNft(ctx, { machine, family, table, ...(chain !== undefined ? { chain } : {}), ...(rule !== undefined ? { rule } : {}), timeoutMs: opts.timeoutMs })
  const evidence = l.evidence
  const tbl = `${family} ${table}`
  if (l.exec.timedOut) return { holds: false, sentence: `${machine} did not finish reading its nftables table ${tbl} within ${formatSeconds(opts.timeoutMs)}`, evidence }
  const cannot = unreadable(l.tableError, machine, tbl) ?? unreadable(l.chainError, machine, tbl)
  if (cannot) return invalidProbe(cannot, evidence)

  if (chain === undefined) {
    const has = (l.tables ?? []).some((t) => t.family === family && t.name === table)
    const expected = `table ${tbl}`
    const got = (l.tables ?? []).map((t) => `table ${t.family} ${t.name}`).join('\n') || '(no tables)'
    if (has) return { holds: true, sentence: `${machine} has the nftables table ${tbl}`, expected, got, evidence }
    const others = (l.tables ?? []).map((t) => `${t.family} ${t.name}`)
    return { holds: false, sentence: `${machine} has no nftables table ${tbl}; ${others.length ? `it has ${others.join(', ')}` : 'it has no tables at all'}`, expected, got, evidence }
  }

  if (rule !== undefined) {
    if (l.scratchError) return invalidProbe(`${machine} could not read the rule "${rule}" in a scratch ruleset: ${l.scratchError}`, evidence)
    if (l.rejected !== undefined) {
      const bare = l.skeletonError ? ` (read in a bare table: nft would not copy ${tbl}'s sets and chains: ${l.skeletonError})` : ''
      return invalidProbe(`nft rejects the rule "${rule}" for ${tbl} ${chain}: ${l.rejected}${bare}`, evidence)
    }
  }
  const absent = l.tableError?.missing
    ? { sentence: `${machine} has no nftables table ${tbl}`, got: `no table ${tbl}` }
    : l.chainError?.missing
      ? { sentence: `${tbl} has no chain ${chain}${chainsOf(l, chain)}`, got: `no chain ${chain}` }
      : undefined
  if (rule === undefined) return chainProbe(check, l, { machine, family, tbl, chain, absent })

  const listed = l.chain?.rules ?? []
  const got = listed.map((r) => r.text).join('\n') || '(empty chain)'
  // The machine's rules by JSON; those of iptables-nft's x_tables by what nft prints of them, read again.
  const machineRules = (l.table?.rules ?? []).filter((r) => r.chain === chain && r.table === table)
  let like: string
  let matching: NftRule[]
  if (l.asPrinted) {
    // nft prints one of them exactly as the rule is written: that is the rule, in nft's own words.
    like = rule
    matching = machineRules.filter((r) => l.asPrinted!.includes(r.handle))
    if (matching.length === 0) return invalidProbe(`${machine} printed a rule of ${tbl} ${chain} that its JSON does not hold`, evidence)
  } else {
    const expectedRule = l.expected!
    like = expectedRule.listed.bare
    const keyOptions = { counters: nftHasCounter(expectedRule.rule), comment: expectedRule.rule.comment !== undefined }
    const want = nftRuleKey(expectedRule.rule, keyOptions)
    matching = absent ? [] : machineRules.filter((r) => nftRuleKey(nftHasXt(r) ? (l.reparsed.get(r.handle) ?? r) : r, keyOptions) === want)
  }
  const expected = like + (minPackets !== undefined ? `\n(at least ${minPackets} packets)` : '')
  if (absent) return { holds: false, ...absent, expected, evidence }
  if (matching.length === 0) return { holds: false, sentence: `${tbl} ${chain} has no rule like "${like}"; ${listRules(listed)}`, expected, got, evidence }
  if (minPackets === undefined) return { holds: true, sentence: `${tbl} ${chain} has the rule "${like}"`, expected, got, evidence }
  const counts = matching.map((r) => nftPackets(r)).filter((p): p is number => p !== undefined)
  if (counts.length === 0) {
    return { holds: false, sentence: `${tbl} ${chain} has the rule "${like}" but without a counter, so it counts no packets (at least ${minPackets} wanted)`, expected, got, evidence }
  }
  const packets = Math.max(...counts)
  const counted = `${packets} packet${packets === 1 ? '' : 's'}`
  if (packets >= minPackets) return { holds: true, sentence: `${tbl} ${chain} has the rule "${like}" and it has counted ${counted} (at least ${minPackets} wanted)`, expected, got, evidence }
  return { holds: false, sentence: `${tbl} ${chain} has the rule "${like}" but it has counted ${counted}, not at least ${minPackets}`, expected, got, evidence }
}

/** The chain's type, hook, priority and policy against the check's options. */
function chainProbe(check: Check, l: NftLookup, o: { machine: string; family: string; tbl: string; chain: string; absent: { sentence: string; got: string } | undefined }): Probe {
  const evidence = l.evidence
  const { type, hook, priority, policy } = check.options
  for (const [k, v, all] of [['type', type, NFT_CHAIN_TYPES], ['hook', hook, NFT_HOOKS], ['policy', policy, NFT_POLICIES]] as const) {
    if (v !== undefined && !(all as readonly string[]).includes(v)) return invalidProbe(`a chain's ${k} is ${all.join(', ')}, not ${v}`)
  }
  const prio = priority !== undefined ? nftPriority(priority, o.family) : undefined
  if (priority !== undefined && prio === undefined) return invalidProbe(`"${priority}" is not a priority of the ${o.family} family`)
  const asked = [type && `type ${type}`, hook && `hook ${hook}`, priority && `priority ${priority}`, policy && `policy ${policy}`].filter(Boolean).join(' ')
  const expected = `chain ${o.tbl} ${o.chain}${asked ? ` ${asked}` : ''}`
  if (o.absent) return { holds: false, ...o.absent, expected, evidence }
  const c = l.table?.chains.find((x) => x.name === o.chain)
  if (!c) return invalidProbe(`${o.machine} listed the chain ${o.tbl} ${o.chain} but not in its table's JSON`, evidence)
  const got = `chain ${o.tbl} ${o.chain}${describe(c)}`
  const differs: string[] = []
  if (type !== undefined && c.type !== type) differs.push(`type=${type}`)
  if (hook !== undefined && c.hook !== hook) differs.push(`hook=${hook}`)
  if (prio !== undefined && c.prio !== prio) differs.push(`priority=${priority}`)
  if (policy !== undefined && c.policy !== policy) differs.push(`policy=${policy}`)
  const is = c.hook === undefined ? 'a regular chain (no type, hook or policy)' : `a base chain:${describe(c)}`
  if (differs.length) return { holds: false, sentence: `${o.tbl} ${o.chain} is ${is}, not ${differs.join(' ')}`, expected, got, evidence }
  return { holds: true, sentence: `${o.tbl} has the chain ${o.chain}${asked ? `, ${is}` : ''}`, expected, got, evidence }
}

function describe(c: NftChain): string {
  if (c.hook === undefined) return ''
  return [` type ${c.type ?? '?'} hook ${c.hook}`, c.prio !== undefined ? ` priority ${c.prio}` : '', c.policy !== undefined ? ` policy ${c.policy}` : ''].join('')
}

/** Why the machine's table could not be read at all, if so (a table or chain that is not there is an answer, not this). */
function unreadable(e: NftListError | undefined, machine: string, tbl: string): string | undefined {
  if (!e || e.missing) return undefined
  if (e.exitCode === 127 || /command not found/.test(e.message)) return `${machine} cannot run nft (${e.message}): install nftables`
  return `${machine} could not read its nftables table ${tbl}: ${e.message}`
}

function chainsOf(l: NftLookup, chain: string): string {
  const names = (l.table?.chains ?? []).map((c) => c.name).filter((n) => n !== chain)
  return names.length ? `; it has ${names.slice(0, LIST_MAX).join(', ')}${names.length > LIST_MAX ? ', …' : ''}` : ''
}

function listRules(rules: NftListedRule[]): string {
  if (rules.length === 0) return 'it is empty'
  const shown = rules.slice(0, LIST_MAX).map((r) => r.bare).join('; ')
  return `it has: ${shown}${rules.length > LIST_MAX ? `; … (${rules.length - LIST_MAX} more)` : ''}`
}
