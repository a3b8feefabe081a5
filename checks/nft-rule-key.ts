import type { NftRule } from './parse-nft-json.js'

export interface NftKeyOptions {
  /** Compare anonymous `counter` statements (where they stand); false: leave them out on both sides. */
  counters: boolean
  /** Compare the rule's comment; false: leave it out. */
  comment: boolean
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** What a rule does, as one string: equal keys, the same rule (see nftRuleKey). */
export function nftRuleKey(rule: Pick<NftRule, 'expr' | 'comment'>, o: NftKeyOptions): string {
  const exprs: string[] = []
  for (const e of rule.expr) {
    // An anonymous counter is an object of its packets and bytes; a named one (counter name "x") is a string and stays.
    if (isObj(e) && isObj(e.counter)) {
      if (o.counters) exprs.push('{"counter":{}}')
      continue
    }
    exprs.push(stable(e))
  }
  // Matches between two statements may stand in any order: each only compares, so their order
  // changes nothing (`ip saddr X oifname != "br0"` = `oifname != "br0" ip saddr X`). Statements
  // (counter, masquerade, dnat, a verdict …) keep their place: what comes before them is what they see.
  const ordered: string[] = []
  let run: string[] = []
  for (const e of exprs) {
    if (e.startsWith('{"match":')) {
      run.push(e)
      continue
    }
    ordered.push(...run.sort(), e)
    run = []
  }
  ordered.push(...run.sort())
  return JSON.stringify({ ...(o.comment && rule.comment !== undefined ? { comment: rule.comment } : {}), expr: ordered.map((e) => JSON.parse(e) as unknown) })
}

/** Whether the rule holds an anonymous counter statement. */
export function nftHasCounter(rule: Pick<NftRule, 'expr'>): boolean {
  return rule.expr.some((e) => isObj(e) && isObj(e.counter))
}

/** The packets the rule's first anonymous counter has seen, if it has one. */
export function nftPackets(rule: Pick<NftRule, 'expr'>): number | undefined {
  const c = rule.expr.find((e) => isObj(e) && isObj(e.counter)) as { counter: Obj } | undefined
  return c && typeof c.counter.packets === 'number' ? c.counter.packets : undefined
}

/** Whether nft can show the rule only through iptables' translation: it holds x_tables matches or targets (iptables-nft's). */
export function nftHasXt(rule: Pick<NftRule, 'expr'>): boolean {
  return rule.expr.some((e) => isObj(e) && 'xt' in e)
}

/** Keys that count traffic, not the rule: what a quota has used. */
const VOLATILE = new Set(['used', 'used_unit'])

/**
 * JSON with object keys sorted and without what traffic changes; an anonymous
 * set's elements sorted too ({ 443, 80 } = { 80, 443 }), since a set has no order.
 */
function stable(v: unknown, key?: string): string {
  // `last` says when the rule last matched (`last used never` is null): nothing of the rule.
  if (key === 'last') return '{}'
  if (Array.isArray(v)) {
    const items = v.map((x) => stable(x))
    if (key === 'set') items.sort()
    return `[${items.join(',')}]`
  }
  if (isObj(v)) {
    const keys = Object.keys(v)
      .filter((k) => !(key === 'quota' && VOLATILE.has(k)))
      .sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stable(v[k], k)}`).join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}
