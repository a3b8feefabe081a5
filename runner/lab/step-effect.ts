// What a step does to the lab host, as far as its text tells: only looks
// (`ip route`, `iptables -L`, `cat`), sends traffic (ping, curl: counters
// and caches move, configuration does not), or changes it (anything else).
// `nslab prove` proves a check block against the nearest step before it that
// changes what it checks, so a tutorial's observation steps between a change
// and its check do not make the check look unprovable. Whatever this reading
// does not know counts as a change: the rule then falls back to the nearest
// step, as it always did.

import { shellCommands, type ShellCommand } from './shell-commands.js'

export type StepEffect = 'looks' | 'traffic' | 'changes'

export interface StepEffectResult {
  effect: StepEffect
  /** The first command that changes the lab host (or sends traffic), with its line in the script. */
  line?: number
  command?: string
}

const RANK: Record<StepEffect, number> = { looks: 0, traffic: 1, changes: 2 }

/** What a step's script does to the lab host. */
export function stepEffect(script: string): StepEffectResult {
  const parsed = shellCommands(script)
  if (parsed.complex) return { effect: 'changes', line: 1, command: parsed.commands[0]?.text ?? '' }
  let best: StepEffectResult = { effect: 'looks' }
  for (const c of parsed.commands) {
    const e = commandEffect(c)
    if (RANK[e] > RANK[best.effect]) best = { effect: e, line: c.line, command: c.text }
    if (e === 'changes') break
  }
  return best
}

/** Commands that only read, whatever their arguments (those that can write are judged below). */
const READERS = new Set([
  'cat', 'less', 'more', 'head', 'tail', 'grep', 'egrep', 'fgrep', 'zgrep', 'cut', 'sort', 'uniq', 'wc', 'tr', 'column', 'jq',
  'echo', 'printf', 'true', 'false', ':', 'test', '[', '[[', 'sleep', 'wait', 'ls', 'stat', 'file', 'readlink', 'realpath',
  'which', 'type', 'whereis', 'pwd', 'cd', 'id', 'whoami', 'uname', 'date', 'printenv', 'export', 'unset', 'declare',
  'local', 'read', 'set', 'shopt', 'ps', 'pgrep', 'pidof', 'free', 'df', 'du', 'lsof', 'ss', 'netstat', 'lsns', 'lsmod',
  'nstat', 'diff', 'cmp', 'md5sum', 'sha256sum', 'base64', 'xxd', 'od', 'hexdump', 'basename', 'dirname', 'seq', 'yes',
  'getent', 'tcpdump', 'tshark', 'watch', 'clear', 'history', 'man', 'help', 'exit', 'return', 'break', 'continue',
  'shift', 'let', 'expr', 'bc', 'awk', 'gawk', 'mawk', 'sed', 'find', 'tree', 'nproc', 'lscpu', 'uptime', 'dmesg',
  'journalctl', 'systemctl', 'ip6tables-save', 'iptables-save', 'iptables-legacy-save', 'iptables-nft-save', 'ebtables-save',
])
/** Commands that send packets: counters, neighbour and connection tables move; configuration does not. */
const TRAFFIC = new Set(['ping', 'ping6', 'arping', 'curl', 'wget', 'nc', 'ncat', 'netcat', 'socat', 'dig', 'nslookup', 'host', 'traceroute', 'tracepath', 'mtr', 'telnet', 'hping3', 'nping', 'iperf', 'iperf3'])
/** Prefixes that run the rest of their words as a command. */
const WRAPPERS = new Set(['time', 'command', 'exec', 'nohup', 'builtin'])

function commandEffect(c: ShellCommand): StepEffect {
  if (c.writesFile) return 'changes'
  if (c.words.length === 0) return 'looks'
  const e = wordsEffect(c.words, c.literal)
  // A background command keeps running: a server, a capture.
  return c.background && e !== 'looks' ? 'changes' : c.background && /^(sleep|wait)$/.test(c.words[0]!) ? 'looks' : c.background ? 'changes' : e
}

function wordsEffect(words: string[], literal: boolean[]): StepEffect {
  const [cmd0, ...args] = words
  if (cmd0 === undefined) return 'looks'
  if (!literal[0]) return 'changes'
  const cmd = cmd0.replace(/^.*\//, '')
  const rest = (from: number) => wordsEffect(words.slice(from), literal.slice(from))
  if (WRAPPERS.has(cmd)) return rest(1)
  if (cmd === 'sudo') return rest(1 + sudoOptions(args))
  if (cmd === 'env') {
    let k = 1
    while (k < words.length && (/^-/.test(words[k]!) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k]!))) k++
    return rest(k)
  }
  if (cmd === 'timeout' || cmd === 'nice' || cmd === 'stdbuf') {
    let k = 1
    while (k < words.length && /^-/.test(words[k]!)) k += /^-(s|k|n|i|o|e)$/.test(words[k]!) ? 2 : 1
    if (cmd === 'timeout') k++
    return rest(k)
  }
  if (cmd === 'nsenter') {
    let k = 1
    while (k < words.length && /^-/.test(words[k]!)) k += /^-[tSGw]$|^--(target|setuid|setgid|wd|root)$/.test(words[k]!) ? 2 : 1
    return k < words.length ? rest(k) : 'looks'
  }
  if ((cmd === 'sh' || cmd === 'bash' || cmd === 'dash') && args[0] === '-c') {
    if (args[1] === undefined) return 'looks'
    return literal[2] ? stepEffect(args[1]).effect : 'changes'
  }
  if (cmd === 'sh' || cmd === 'bash' || cmd === 'dash' || cmd === 'zsh') return args.length === 0 ? 'looks' : 'changes'
  if (READERS.has(cmd)) return readerEffect(cmd, args)
  if (TRAFFIC.has(cmd)) return trafficEffect(cmd, args)
  if (cmd === 'ip') return ipEffect(words, literal)
  if (/^(ip6?tables|ip6?tables-legacy|ip6?tables-nft|ebtables|arptables)$/.test(cmd)) return iptablesEffect(args)
  if (cmd === 'nft') return args.some((a) => /^(list|-j|--json|-a|-n|-nn|-s|--stateless|-c|--check)$/.test(a)) && args.includes('list') ? 'looks' : 'changes'
  if (cmd === 'sysctl') return args.some((a) => a.includes('=') || /^-(w|p|-system|-write|-load)/.test(a)) ? 'changes' : 'looks'
  if (cmd === 'bridge') return ipLikeEffect(args, ['link', 'fdb', 'mdb', 'vlan', 'monitor'])
  if (cmd === 'brctl') return args.length === 0 || /^show/.test(args[0]!) ? 'looks' : 'changes'
  if (cmd === 'conntrack') return args.some((a) => /^-(L|S|E|C|G)$|^--(dump|stats|event|count|get)$/.test(a)) ? 'looks' : 'changes'
  if (cmd === 'ethtool') return args.some((a) => /^-[sKGAC]$|^--(change|features|offload|set-)/.test(a)) ? 'changes' : 'looks'
  if (cmd === 'arp') return args.some((a) => /^-[sd]$|^--(set|delete)$/.test(a)) ? 'changes' : 'looks'
  if (cmd === 'route') return args.some((a) => a === 'add' || a === 'del') ? 'changes' : 'looks'
  if (cmd === 'ifconfig') return args.filter((a) => !/^-/.test(a)).length <= 1 ? 'looks' : 'changes'
  if (cmd === 'hostname') return args.every((a) => /^-/.test(a)) ? 'looks' : 'changes'
  return 'changes'
}

/** How many words of sudo's options come before its command. */
export function sudoOptions(args: string[]): number {
  let k = 0
  while (k < args.length) {
    const a = args[k]!
    if (a === '--') return k + 1
    if (!a.startsWith('-') || a === '-') return k
    k += /^-[ugCDhprTU]$|^--(user|group|close-from|chdir|host|prompt|role|type|other-user|command-timeout)$/.test(a) ? 2 : 1
  }
  return k
}

function readerEffect(cmd: string, args: string[]): StepEffect {
  if (cmd === 'sed' && args.some((a) => /^-[a-zA-Z]*i|^--in-place/.test(a))) return 'changes'
  if ((cmd === 'awk' || cmd === 'gawk') && args.some((a) => a === '-i' || a.includes('inplace'))) return 'changes'
  if (cmd === 'find' && args.some((a) => /^-(delete|exec|execdir|ok|fprint)/.test(a))) return 'changes'
  if (cmd === 'tcpdump' && args.some((a) => /^-[a-zA-Z]*w/.test(a))) return 'changes'
  if (cmd === 'systemctl' && !/^(status|show|is-active|is-enabled|list-units|cat)$/.test(args.find((a) => !a.startsWith('-')) ?? 'status')) return 'changes'
  if ((cmd === 'set' || cmd === 'export' || cmd === 'declare') && args.length === 0) return 'looks'
  return 'looks'
}

function trafficEffect(cmd: string, args: string[]): StepEffect {
  // A server, or a download to a file, changes the lab host.
  if ((cmd === 'nc' || cmd === 'ncat' || cmd === 'netcat') && args.some((a) => /^-[a-zA-Z]*l/.test(a) || a === '--listen')) return 'changes'
  if (cmd === 'socat' && args.some((a) => /LISTEN/i.test(a))) return 'changes'
  if ((cmd === 'iperf' || cmd === 'iperf3') && args.includes('-s')) return 'changes'
  if (cmd === 'curl' && args.some((a) => /^-[a-zA-Z]*[oO]$|^--(output|remote-name)/.test(a)) && !args.some((a, i) => /^-[a-zA-Z]*o$|^--output$/.test(a) && (args[i + 1] === '-' || args[i + 1] === '/dev/null'))) return 'changes'
  if (cmd === 'wget' && !args.some((a, i) => /^-[a-zA-Z]*O-?$|^--output-document/.test(a) && (a.endsWith('-') || args[i + 1] === '-' || args[i + 1] === '/dev/null' || a.includes('=-')) || a === '--spider')) return 'changes'
  return 'traffic'
}

/** `ip` reads unless its command word changes something; `ip netns exec NS CMD` is CMD's. */
function ipEffect(words: string[], literal: boolean[]): StepEffect {
  let k = 1
  while (k < words.length && words[k]!.startsWith('-')) {
    const o = words[k]!
    if (/^-(b|batch|force)$/.test(o)) return 'changes'
    k += /^-(n|netns|rc|rcvbuf|family|f|l|loops)$/.test(o) ? 2 : 1
  }
  const object = words[k]
  if (object === undefined) return 'looks'
  if (object.length >= 3 && 'netns'.startsWith(object)) {
    const sub = words[k + 1]
    if (sub === undefined || /^(list|ls|lst|show|identify|pids|list-id|monitor)$/.test(sub)) return 'looks'
    if (sub.length >= 1 && 'exec'.startsWith(sub)) return wordsEffect(words.slice(k + 3), literal.slice(k + 3))
    return 'changes'
  }
  if ('monitor'.startsWith(object) && object.length >= 3) return 'looks'
  return ipLikeEffect(words.slice(k), [])
}

/** OBJECT [COMMAND …]: no command, or a show/list/get, only reads. */
function ipLikeEffect(args: string[], objects: string[]): StepEffect {
  const [object, command] = args
  if (object === undefined) return 'looks'
  if (objects.length && object === 'monitor') return 'looks'
  if (command === undefined || command.startsWith('-')) return 'looks'
  if (isPrefixOf(command, ['show', 'list', 'lst', 'get', 'help'])) return 'looks'
  // `ip addr dev eth0`, `ip route table all`: a filter, not a command.
  if (/^(dev|table|scope|label|to|from|type|up|master|vrf|proto|root|match|exact)$/.test(command)) return 'looks'
  return 'changes'
}

function isPrefixOf(word: string, full: string[]): boolean {
  return word.length > 0 && full.some((f) => f.startsWith(word))
}

/** iptables reads with -L, -S (and their options) and nothing that changes a chain. */
function iptablesEffect(args: string[]): StepEffect {
  let reads = false
  for (const a of args) {
    if (/^--(append|insert|delete|replace|flush|zero|new-chain|delete-chain|policy|rename-chain)$/.test(a)) return 'changes'
    if (/^--(list|list-rules|check)$/.test(a)) reads = true
    if (/^-[A-Za-z]+$/.test(a)) {
      if (/[AIDRFZNXPE]/.test(a.slice(1))) return 'changes'
      if (/[LSC]/.test(a.slice(1))) reads = true
    }
  }
  return reads ? 'looks' : 'changes'
}
