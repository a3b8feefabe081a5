/** One rule of `nft -a list chain`, as nft prints it. */
export interface NftListedRule {
  handle: number
  /** The rule as printed, without its `# handle N`. */
  text: string
  /** The same without counter values (`counter packets 3 bytes 252` → `counter`): the rule, not its traffic. */
  bare: string
  /** Its counter's packets, when it has an anonymous counter. */
  packets?: number
}

export interface NftListedChain {
  /** The chain's declaration (`type nat hook postrouting priority srcnat; policy accept;`), for a base chain. */
  declaration?: string
  rules: NftListedRule[]
}

const COUNTER = /\bcounter packets (\d+) bytes \d+/

/**
 * What `nft -a list chain FAMILY TABLE CHAIN` printed:
 *
 *   table ip lab {
 *   	chain postrouting { # handle 1
 *   		type nat hook postrouting priority srcnat; policy accept;
 *   		ip saddr 192.168.50.0/24 counter packets 3 bytes 252 masquerade # handle 7
 *   	}
 *   }
 *
 * A rule is a line inside the chain's braces that ends `# handle N` (with
 * -a, nft ends every rule so), with the lines before it that have none but
 * the declaration (a string of the rule that holds newlines: nft prints it as
 * it is). Lines outside the braces are nft's warnings. Rules keep nft's own spelling: it is what a learner sees.
 */
export function parseNftList(text: string): NftListedChain {
  const out: NftListedChain = { rules: [] }
  let depth = 0
  let pending: string | undefined
  for (const line of text.split('\n')) {
    const t = line.trim()
    if (t === '' || t.startsWith('#')) continue
    if (/\{(?: # handle \d+)?$/.test(t) && /^(?:table|chain) /.test(t)) {
      depth++
      continue
    }
    if (t === '}') {
      depth--
      continue
    }
    if (depth !== 2) continue
    const h = / # handle (\d+)$/.exec(t)
    if (!h) {
      if (out.declaration === undefined && pending === undefined && /^type \S+ hook /.test(t)) out.declaration = t
      // nft prints a string as it is: a newline in a comment splits its rule over lines.
      else pending = pending === undefined ? t : `${pending}\n${t}`
      continue
    }
    const ruleText = (pending === undefined ? '' : `${pending}\n`) + t.slice(0, h.index)
    pending = undefined
    const counter = COUNTER.exec(ruleText)
    const r: NftListedRule = { handle: Number(h[1]), text: ruleText, bare: ruleText.replace(COUNTER, 'counter') }
    if (counter) r.packets = Number(counter[1])
    out.rules.push(r)
  }
  return out
}
