// What a tutorial shows a command printing, as an output block that a lab
// host's run can match: what differs from machine to machine (times, MAC
// addresses, interface numbers, counters, the machine's own interfaces and
// routes) becomes `{*}` or `...`.

export interface OutputPatternOptions {
  /** The command that printed it (unwrapped: `ip link`, `iptables -nvL`, …). */
  words: string[]
  /** Interfaces the tutorial's commands make: the others in a listing are the author's machine's. */
  interfaces: Set<string>
}

/** A machine's uplink (eth0, ens3, enp0s3, wlan0 …): the author's, not the lab host's. */
const THEIRS = /^(eth\d+|en[ops]\w+|wl\w+|docker\d+|virbr\d+|br-[0-9a-f]+|tailscale\d+|wg\d+|lxcbr\d+|cni\d+|flannel\.\d+)$/

/** An output block's lines for what a tutorial shows a command printing. */
export function outputPattern(lines: string[], o: OutputPatternOptions): string[] {
  const cmd = o.words[0]?.replace(/^.*\//, '')
  let out = lines.map(varying)
  if (cmd === 'ip') out = ipListing(out, lines, o)
  // iptables -L: the protocol column reads "all" or "0" by iptables' version.
  if (cmd && /^ip6?tables/.test(cmd)) out = out.map((l) => l.replace(/^(\{\*\} \S+ +|\S+ +)(?:all|0) +(--|-f) /, '$1{*} $2 '))
  return collapse(out)
}

/** Times, MACs, interface numbers, counters and the like in one line. */
function varying(line: string): string {
  return line
    .replace(/\btime[=<][\d.]+ ?ms\b/g, (m) => (m.includes(' ') ? 'time={*} ms' : 'time={*}ms'))
    .replace(/\bttl=\d+/g, 'ttl={*}')
    .replace(/, time \d+ms$/, ', time {*}ms')
    .replace(/^(rtt|round-trip) min\/avg\/max(\/mdev|\/stddev)? = .*$/, '$1 min/avg/max$2 = {*}')
    .replace(/\b(?!00:00:00:00:00:00\b|ff:ff:ff:ff:ff:ff\b)[0-9a-f]{2}(:[0-9a-f]{2}){5}\b/gi, '{*}')
    .replace(/^\d+: (\S+?)(@if\d+|@\S+)?:/, (_m, name: string, at: string | undefined) => `{*}: ${name}${at ? (at.startsWith('@if') ? '@if{*}' : at) : ''}:`)
    .replace(/\blink-netnsid \d+/g, 'link-netnsid {*}')
    .replace(/\binet6 fe80::[0-9a-f:]+\/64 scope link.*$/, 'inet6 fe80::{*}/64 scope link{*}')
    // An interface's state and a fresh address's flags settle in their own time.
    .replace(/\bstate (DOWN|LOWERLAYERDOWN)\b/, 'state {*}')
    .replace(/\bvalid_lft \d+sec preferred_lft \d+sec/g, 'valid_lft {*} preferred_lft {*}')
    .replace(/\(policy (ACCEPT|DROP) \d+[KMG]? packets, \d+[KMG]? bytes\)/, '(policy $1 {*} packets, {*} bytes)')
    .replace(/^ *\d+[KMGT]? +\d+[KMGT]? (?=[A-Z]|all|tcp|udp|icmp)/, '{*} ')
    .replace(/\(id: \d+\)/g, '(id: {*})')
}

/**
 * `ip link`, `ip addr`, `ip route` list the whole machine: the entries of
 * interfaces the tutorial did not make (the author's eth0) are theirs, and
 * the lab host has others in their place.
 */
function ipListing(out: string[], raw: string[], o: OutputPatternOptions): string[] {
  const words = o.words.filter((w) => !w.startsWith('-'))
  const object = words[1] ?? ''
  const mine = (name: string) => name === 'lo' || o.interfaces.has(name) || !THEIRS.test(name)
  if (/^(l|li|lin|link|a|ad|add|addr|addre|addres|address)$/.test(object)) {
    // Entries start "N: NAME[@…]:" and go on indented.
    let keep = true
    return out.map((l, i) => {
      const m = /^\d+: ([^:@\s]+)/.exec(raw[i]!)
      if (m) keep = mine(m[1]!)
      return keep ? l : '...'
    })
  }
  if (/^(r|ro|rou|rout|route)$/.test(object)) {
    return out.map((l) => {
      const dev = / dev (\S+)/.exec(l)?.[1]
      return dev && !mine(dev) ? '...' : l
    })
  }
  return out
}

/** Runs of `...` made one; a listing's first and last lines needs none (a block's ends are open). */
function collapse(lines: string[]): string[] {
  const out: string[] = []
  for (const l of lines) if (!(l === '...' && out[out.length - 1] === '...')) out.push(l)
  return out
}
