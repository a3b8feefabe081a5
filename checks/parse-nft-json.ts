/** A chain as `nft -j list` prints it: a base chain has a type, hook, priority and policy. */
export interface NftChain {
  family: string
  table: string
  name: string
  handle: number
  type?: string
  hook?: string
  prio?: number
  policy?: string
}

/** A rule as `nft -j list` prints it: its expressions are nft's JSON, kept as they are (compared by nftRuleKey). */
export interface NftRule {
  family: string
  table: string
  chain: string
  handle: number
  comment?: string
  expr: unknown[]
}

export interface NftJson {
  /** nft's version (metainfo), when it says. */
  version?: string
  tables: { family: string; name: string; handle: number }[]
  chains: NftChain[]
  rules: NftRule[]
  /** Sets, maps, named objects, flowtables: what nft printed besides tables, chains and rules, by kind. */
  others: { kind: string; value: unknown }[]
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (o: Obj, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined)
const num = (o: Obj, k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined)

/**
 * What `nft -j list …` printed (libnftables' JSON schema, nft(8) and
 * libnftables-json(5)): its one `{"nftables": […]}` line, among whatever else
 * the command printed (nft writes warnings to stderr, and a check's script
 * may take both). Objects it cannot read are an error, not skipped: a check
 * must not judge a ruleset it read half of.
 */
export function parseNftJson(text: string): NftJson | { error: string } {
  const line = text.split('\n').find((l) => l.startsWith('{"nftables"'))
  if (line === undefined) return { error: text.trim() ? `not nft's JSON: ${text.trim().split('\n')[0]}` : 'nft printed nothing' }
  let doc: unknown
  try {
    doc = JSON.parse(line)
  } catch (e) {
    return { error: `nft's JSON does not parse: ${(e as Error).message}` }
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables)) return { error: 'nft\'s JSON has no "nftables" list' }
  const out: NftJson = { tables: [], chains: [], rules: [], others: [] }
  for (const item of doc.nftables) {
    if (!isObj(item)) return { error: `nft's JSON lists ${JSON.stringify(item)}, not an object` }
    const keys = Object.keys(item)
    if (keys.length !== 1) return { error: `nft's JSON lists an object of ${keys.length} kinds (${keys.join(', ')})` }
    const kind = keys[0]!
    const v = item[kind]
    if (kind === 'metainfo') {
      if (isObj(v) && typeof v.version === 'string') out.version = v.version
      continue
    }
    if (!isObj(v)) return { error: `nft's JSON has a ${kind} that is not an object` }
    const family = str(v, 'family')
    const handle = num(v, 'handle')
    if (family === undefined || handle === undefined) return { error: `nft's JSON has a ${kind} without a family or a handle` }
    if (kind === 'table') {
      const name = str(v, 'name')
      if (name === undefined) return { error: "nft's JSON has a table without a name" }
      out.tables.push({ family, name, handle })
    } else if (kind === 'chain') {
      const table = str(v, 'table')
      const name = str(v, 'name')
      if (table === undefined || name === undefined) return { error: "nft's JSON has a chain without a table or a name" }
      const c: NftChain = { family, table, name, handle }
      for (const k of ['type', 'hook', 'policy'] as const) if (str(v, k) !== undefined) c[k] = str(v, k)!
      if (num(v, 'prio') !== undefined) c.prio = num(v, 'prio')!
      out.chains.push(c)
    } else if (kind === 'rule') {
      const table = str(v, 'table')
      const chain = str(v, 'chain')
      if (table === undefined || chain === undefined || !Array.isArray(v.expr)) return { error: "nft's JSON has a rule without a table, a chain or expressions" }
      const r: NftRule = { family, table, chain, handle, expr: v.expr }
      if (str(v, 'comment') !== undefined) r.comment = str(v, 'comment')!
      out.rules.push(r)
    } else {
      out.others.push({ kind, value: v })
    }
  }
  return out
}
