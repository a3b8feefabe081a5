// The words of a `conntrack` check, and what is wrong with one as written:
//   conntrack NAME [tcp|udp|icmp] [src=A] [dst=A] [sport=N] [dport=N] [state=S]
//             [reply-src=A] [reply-dst=A] [reply-sport=N] [reply-dport=N]
//             [mark=N] [zone=N] [assured] [unreplied] [snat] [dnat]
// An address A is an IPv4 address, a CIDR or a machine's name. Kept apart from
// parse-check.ts so the probe (checks/conntrack.ts) reads the same words.

import { suggestion } from '../util/did-you-mean.js'
import { parseCidr, parseIPv4 } from './parse-ipv4.js'

export const CONNTRACK_PROTOCOLS = ['tcp', 'udp', 'icmp'] as const
/** Words about the entry's status (conntrack's [ASSURED], [UNREPLIED]) and its translation. */
export const CONNTRACK_FLAGS = ['assured', 'unreplied', 'snat', 'dnat'] as const
export const CONNTRACK_ADDRESS_KEYS = ['src', 'dst', 'reply-src', 'reply-dst'] as const
export const CONNTRACK_PORT_KEYS = ['sport', 'dport', 'reply-sport', 'reply-dport'] as const
export const CONNTRACK_OPTIONS = [...CONNTRACK_ADDRESS_KEYS, ...CONNTRACK_PORT_KEYS, 'state', 'mark', 'zone'] as const
/** TCP's states as conntrack prints them (nf_conntrack_proto_tcp.c). */
export const CONNTRACK_TCP_STATES = ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'] as const

export const CONNTRACK_USAGE = 'conntrack NAME [tcp|udp|icmp] [src=IP] [dst=IP] [sport=N] [dport=N] [state=STATE] [reply-src=IP] … [assured] [unreplied] [snat] [dnat]'

/** conntrack's own options, as a tutorial writes them (`-p tcp --dport 80`), and the check's word for each. */
const CONNTRACK_TOOL_OPTIONS: Record<string, string> = {
  '-p': 'tcp, udp or icmp', '--proto': 'tcp, udp or icmp', '--protonum': 'tcp, udp or icmp',
  '-s': 'src=IP', '--src': 'src=IP', '--orig-src': 'src=IP',
  '-d': 'dst=IP', '--dst': 'dst=IP', '--orig-dst': 'dst=IP',
  '--sport': 'sport=N', '--orig-port-src': 'sport=N',
  '--dport': 'dport=N', '--orig-port-dst': 'dport=N',
  '-r': 'reply-src=IP', '--reply-src': 'reply-src=IP',
  '-q': 'reply-dst=IP', '--reply-dst': 'reply-dst=IP',
  '--reply-port-src': 'reply-sport=N', '--reply-port-dst': 'reply-dport=N',
  '--state': 'state=STATE', '-m': 'mark=N', '--mark': 'mark=N', '-w': 'zone=N', '--zone': 'zone=N',
  '-n': 'snat', '--src-nat': 'snat', '-g': 'dnat', '--dst-nat': 'dnat',
}

const looksLikeAddress = (s: string) => /^[0-9./]+$/.test(s)

/** The options of a conntrack check whose value names a machine (src=box1), not an address. */
export function conntrackMachineOptions(options: Record<string, string>): string[] {
  return CONNTRACK_ADDRESS_KEYS.filter((k) => options[k] !== undefined && !options[k]!.includes('/') && !looksLikeAddress(options[k]!))
}

/** What is wrong with a conntrack check's arguments (NAME, then words) and options, if anything. */
export function conntrackCheckProblem(args: string[], options: Record<string, string>): string | undefined {
  let protocol: string | undefined
  const seen = new Set<string>()
  for (const word of args.slice(1)) {
    if ((CONNTRACK_PROTOCOLS as readonly string[]).includes(word)) {
      if (protocol !== undefined) return `conntrack takes one protocol, not both "${protocol}" and "${word}"`
      protocol = word
      continue
    }
    if ((CONNTRACK_FLAGS as readonly string[]).includes(word)) {
      if (seen.has(word)) return `${word} is given twice`
      seen.add(word)
      continue
    }
    const tool = Object.hasOwn(CONNTRACK_TOOL_OPTIONS, word) ? CONNTRACK_TOOL_OPTIONS[word] : undefined
    if (tool) return `"${word}" is conntrack's own option: write ${tool}, e.g. conntrack host tcp dport=80 state=ESTABLISHED`
    const bracket = /^\[([A-Za-z_]+)\]$/.exec(word)
    if (bracket) {
      const flag = bracket[1]!.toLowerCase()
      const how = (CONNTRACK_FLAGS as readonly string[]).includes(flag) ? `write ${flag}` : `a check takes ${CONNTRACK_FLAGS.join(', ')}`
      return `"${word}" is how conntrack prints it: ${how}`
    }
    const known = [...CONNTRACK_PROTOCOLS, ...CONNTRACK_FLAGS]
    return `unknown word "${word}" for conntrack${suggestion(word, known) || `; after the machine come a protocol (${CONNTRACK_PROTOCOLS.join(', ')}), options such as dport=80, and ${CONNTRACK_FLAGS.join(', ')}`}`
  }
  for (const key of CONNTRACK_ADDRESS_KEYS) {
    const v = options[key]
    if (v === undefined) continue
    if (v.includes('/')) {
      const c = parseCidr(v)
      if ('error' in c) return `bad ${key}=: ${c.error}`
    } else if (looksLikeAddress(v)) {
      const a = parseIPv4(v)
      if ('error' in a) return `bad ${key}=: ${a.error}`
    }
  }
  for (const key of CONNTRACK_PORT_KEYS) {
    const v = options[key]
    if (v === undefined) continue
    if (protocol === 'icmp') return `icmp entries have no ports: ${key}= goes with tcp or udp`
    if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) return `bad ${key}="${v}": write a port from 0 to 65535`
  }
  if (options.state !== undefined) {
    if (protocol !== undefined && protocol !== 'tcp') return `${protocol} entries have no state: state= goes with tcp`
    const s = options.state.toUpperCase()
    if (!(CONNTRACK_TCP_STATES as readonly string[]).includes(s)) {
      return `unknown state "${options.state}"${suggestion(s, CONNTRACK_TCP_STATES) || `; TCP's states are ${CONNTRACK_TCP_STATES.join(', ')}`}`
    }
  }
  if (options.mark !== undefined && !/^(?:\d{1,10}|0x[0-9a-fA-F]{1,8})$/.test(options.mark)) return `bad mark="${options.mark}": write a number, e.g. mark=42 or mark=0x2a`
  if (options.mark !== undefined && Number(options.mark) > 0xffffffff) return `bad mark="${options.mark}": a mark is at most 4294967295`
  if (options.zone !== undefined && (!/^\d{1,5}$/.test(options.zone) || Number(options.zone) > 65535)) return `bad zone="${options.zone}": write a zone from 0 to 65535`
  return undefined
}
