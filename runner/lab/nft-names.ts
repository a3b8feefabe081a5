// The words of nftables a lab's `nft` check names: families, chain types,
// hooks, policies and priorities. Only these are nslab's; what a rule means
// is left to nft itself (checks/nft.ts).

export const NFT_FAMILIES = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'] as const
export const NFT_CHAIN_TYPES = ['filter', 'nat', 'route'] as const
export const NFT_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress'] as const
export const NFT_POLICIES = ['accept', 'drop'] as const

/** Table and chain names as nft's scanner reads them unquoted (its `identifier`), at most 255 bytes. */
export const NFT_NAME = /^[A-Za-z_][A-Za-z0-9/\\_.-]{0,254}$/

/** nft's standard priority names (nft(8), CHAINS): the bridge family has its own. */
const PRIORITIES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 }
const BRIDGE_PRIORITIES: Record<string, number> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 }

/** The priority names a family knows. */
export function nftPriorityNames(family: string): string[] {
  return Object.keys(family === 'bridge' ? BRIDGE_PRIORITIES : PRIORITIES)
}

/**
 * A chain's priority as nft stores it (a number): `100`, `-150`, `srcnat`,
 * `srcnat+5`, `filter-10`, as `nft add chain` takes it; undefined when it is none.
 */
export function nftPriority(text: string, family: string): number | undefined {
  const m = /^(?:(-?\d{1,10})|([a-z]+)(?:([+-])(\d{1,10}))?)$/.exec(text)
  if (!m) return undefined
  if (m[1] !== undefined) return Number(m[1])
  const names = family === 'bridge' ? BRIDGE_PRIORITIES : PRIORITIES
  if (!Object.hasOwn(names, m[2]!)) return undefined
  const base = names[m[2]!]!
  return m[3] === undefined ? base : m[3] === '+' ? base + Number(m[4]) : base - Number(m[4])
}
