// Checks a command suggests: what a network engineer would confirm after
// typing it (`ip netns add x` → `netns x`, `ip addr add A dev D` → `addr
// MACHINE D A`, an iptables rule → `rule …`). `nslab import` writes them
// where a check could go; the author keeps those that say what the lab teaches.

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

/** A word of a check line, quoted when it would not read as one word. */
function quote(word: string): string {
  return /^[\w.\/:,!+@%=-]+$/.test(word) && !word.includes('=') ? word : `'${word.replace(/'/g, `'\\''`)}'`
}
