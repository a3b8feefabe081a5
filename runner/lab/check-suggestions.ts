// Checks a command suggests: what a network engineer would confirm after
// typing it (`ip netns add x` → `netns x`, `ip addr add A dev D` → `addr
// MACHINE D A`, an iptables rule → `rule …`). `nslab import` writes them
// where a check could go; the author keeps those that say what the lab teaches.

import { NFT_FAMILIES } from './nft-names.js'
import { parseCheck } from './parse-check.js'
import { unwrapCommand } from './unwrap-command.js'

/** The check lines a command suggests, on machine `on` (host, or a namespace a step runs in). */
export function checkSuggestions(words0: string[], on: string, text = ''): string[] {
  // echo 1 > /proc/sys/net/ipv4/ip_forward: the redirection says what it sets.
  const proc = /^(?:sudo\s+)?echo\s+(\S+)\s*>\s*\/proc\/sys\/(\S+)$/.exec(text.trim())
  if (proc) return [`sysctl ${on} ${proc[2]!.replace(/\//g, '.')} ${proc[1]}`]
  const u = unwrapCommand(words0)
  const machine = u.netns ?? on
  const w = u.words
  const cmd = w[0]?.replace(/^.*\//, '')
  if (cmd === 'ip') {
    let k = 1
    while (k < w.length && w[k]!.startsWith('-')) k += /^-(n|netns|rc|family|f|l|loops|b|batch)$/.test(w[k]!) ? 2 : 1
    const [object = '', command = '', ...rest] = w.slice(k)
    const arg = (name: string) => {
      const i = rest.indexOf(name)
      return i >= 0 ? rest[i + 1] : undefined
    }
    if (object.length >= 3 && 'netns'.startsWith(object) && /^(a|ad|add)$/.test(command) && rest[0]) return [`netns ${rest[0]}`]
    if ('address'.startsWith(object) && /^(a|ad|add)$/.test(command) && rest[0]?.includes('/') && arg('dev')) return [`addr ${machine} ${arg('dev')} ${rest[0]}`]
    if ('link'.startsWith(object) && command === 'set') {
      const master = arg('master')
      const dev = rest[0] === 'dev' ? rest[1] : rest[0]
      if (master && dev) return [`master ${dev} ${master}`]
    }
    if ('route'.startsWith(object) && /^(a|ad|add|replace)$/.test(command) && rest[0]) {
      const via = arg('via')
      const dev = arg('dev')
      if (via) return [`route ${machine} ${rest[0]} via ${via}`]
      if (dev) return [`route ${machine} ${rest[0]} dev ${dev}`]
    }
    return []
  }
  if (cmd && /^ip(6)?tables(-legacy|-nft)?$/.test(cmd) && !cmd.startsWith('ip6')) {
    const t = w.indexOf('-t')
    const table = t >= 0 ? w[t + 1]! : 'filter'
    const a = w.findIndex((x) => x === '-A' || x === '--append' || x === '-I' || x === '--insert')
    if (a >= 0 && w[a + 1]) {
      // -I CHAIN [N] SPEC: the position is no part of the rule; nor is -t TABLE, wherever it stands.
      let spec = w.slice(a + 2)
      if ((w[a] === '-I' || w[a] === '--insert') && /^\d+$/.test(spec[0] ?? '')) spec = spec.slice(1)
      spec = spec.filter((x, i, all) => !(x === '-t' || x === '--table' || all[i - 1] === '-t' || all[i - 1] === '--table'))
      return spec.length ? [`rule ${table} ${w[a + 1]} ${spec.map(quote).join(' ')}`] : []
    }
    const p = w.findIndex((x) => x === '-P' || x === '--policy')
    if (p >= 0 && w[p + 1] && w[p + 2]) return [`policy ${table} ${w[p + 1]} ${w[p + 2]}`]
    return []
  }
  if (cmd === 'nft') return nftSuggestions(w.slice(1), machine)
  if (cmd === 'sysctl') {
    const set = w.slice(1).find((x) => /^[\w.\/-]+=/.test(x))
    if (set) {
      const [key, value] = set.split('=')
      return [`sysctl ${machine} ${key} ${value}`]
    }
    return []
  }
  if ((cmd === 'sh' || cmd === 'bash') && w[1] === '-c' && w[2]) {
    const m = /^echo (\S+) > \/proc\/sys\/(\S+)$/.exec(w[2].trim())
    if (m) return [`sysctl ${machine} ${m[2]!.replace(/\//g, '.')} ${m[1]}`]
  }
  return []
}

/**
 * `nft add table|chain|rule …` → `nft MACHINE FAMILY TABLE [CHAIN [RULE]]`. nft joins its
 * arguments with blanks and reads them as one command, so the words are joined back the same way.
 */
function nftSuggestions(args: string[], machine: string): string[] {
  let k = 0
  while (k < args.length && args[k]!.startsWith('-')) {
    // A file, a shell of its own, or an include path: nothing this line adds.
    if (/^-(f|i|I)$|^--(file|interactive|includepath)/.test(args[k]!)) return []
    k++
  }
  const [verb = '', object = '', ...rest] = args.slice(k).join(' ').split(/\s+/)
  if (!['add', 'create', 'insert'].includes(verb)) return []
  const family = (NFT_FAMILIES as readonly string[]).includes(rest[0] ?? '') ? rest.shift()! : 'ip'
  const [table, chain, ...more] = rest
  if (!table) return []
  let line: string | undefined
  if (object === 'table' && !chain) line = `nft ${machine} ${family} ${table}`
  else if (object === 'chain' && chain) {
    const spec = more.join(' ')
    const opt = (re: RegExp, name: string) => {
      const m = re.exec(spec)
      return m ? ` ${name}=${m[1]!.replace(/\s+/g, '')}` : ''
    }
    line = `nft ${machine} ${family} ${table} ${chain}${opt(/\btype\s+(\w+)/, 'type')}${opt(/\bhook\s+(\w+)/, 'hook')}${opt(/\bpriority\s+([\w-]+(?:\s*[+-]\s*\d+)?)/, 'priority')}${opt(/\bpolicy\s+(\w+)/, 'policy')}`
  } else if (object === 'rule' && chain) {
    // `position N`, `handle N`, `index N` say where the rule goes, not what it is.
    const rule = /^(?:position|handle|index)$/.test(more[0] ?? '') ? more.slice(2) : more
    if (rule.length) line = `nft ${machine} ${family} ${table} ${chain} ${rule.join(' ')}`
  }
  return line !== undefined && parseCheck(line, 1).check ? [line] : []
}

/** A word of a check line, quoted when it would not read as one word. */
function quote(word: string): string {
  return /^[\w.\/:,!+@%=-]+$/.test(word) && !word.includes('=') ? word : `'${word.replace(/'/g, `'\\''`)}'`
}
