import { isIPv4 } from 'node:net'
import type { Check } from '../runner/lab/lab.js'
import { machinesOf } from '../runner/lab/lab.js'
import { CONNTRACK_ADDRESS_KEYS, CONNTRACK_FLAGS, CONNTRACK_PORT_KEYS, CONNTRACK_PROTOCOLS } from '../runner/lab/conntrack-check-problem.js'
import { inSubnet, parseCidr, parseIPv4 } from '../runner/lab/parse-ipv4.js'
import { closestConntrackEntries } from './closest-conntrack-entries.js'
import type { CheckContext, Probe } from './check-context.js'
import { evidenceOf } from './evidence-of.js'
import { execProblem } from './exec-problem.js'
import { invalidProbe } from './invalid-probe.js'
import { parseConntrack, type ConntrackEntry, type ConntrackTuple } from './parse-conntrack.js'
import type { ProbeOptions } from './probe-fn.js'

/** How many entries a failing check lists, closest first. */
const LIST_MAX = 10

/** The listing the check reads: every family and protocol, with the family in front of each line. */
export const CONNTRACK_LIST = 'conntrack -L -o extended'

/** The keys in the order conntrack prints what they match. */
const KEY_ORDER = ['state', 'src', 'dst', 'sport', 'dport', 'reply-src', 'reply-dst', 'reply-sport', 'reply-dport', 'mark', 'zone'] as const

/** One thing the check asks of an entry. */
interface Condition {
  /** As the check says it: `dport=7000`, `dst=internet (198.51.100.1 or 203.0.113.10)`, `assured`. */
  text: string
  holds: (e: ConntrackEntry) => boolean
  /** How an entry that does not hold differs: `dport=80, not dport=7000`, `not [ASSURED]`. */
  differs: (e: ConntrackEntry) => string
}

/**
 * `conntrack NAME [tcp|udp|icmp] [src=A] [dst=A] [sport=N] [dport=N] [state=S]
 * [reply-src=A] … [mark=N] [zone=N] [assured] [unreplied] [snat] [dnat]`:
 * machine NAME's connection tracking table has an entry that matches every
 * word. src/dst/sport/dport are the original tuple (the connection as its
 * first packet looked), reply-* the reply tuple conntrack expects; an address
 * is an IPv4 address, a CIDR, or a machine's name (any of its addresses now).
 * snat: the reply goes to another address or port than the original came
 * from; dnat: it comes from another than the original went to.
 */
export async function conntrackProbe(check: Check, ctx: CheckContext, opts: ProbeOptions = { timeoutMs: 2000 }): Promise<Probe> {
  const [machine, ...words] = check.args
  if (!machine) return invalidProbe('conntrack needs a machine: "conntrack host tcp dport=80 state=ESTABLISHED"')
  // In the order conntrack prints an entry: protocol, state, original tuple, reply tuple, mark, zone, flags.
  const conditions: Condition[] = []
  const flags: Condition[] = []
  let protocol: string | undefined
  for (const w of words) {
    if ((CONNTRACK_PROTOCOLS as readonly string[]).includes(w)) {
      protocol ??= w
      conditions.push({ text: w, holds: (e) => e.proto === w, differs: (e) => `${e.proto}, not ${w}` })
    } else if ((CONNTRACK_FLAGS as readonly string[]).includes(w)) flags.push(flagCondition(w))
    else return invalidProbe(`"${w}" is no protocol (${CONNTRACK_PROTOCOLS.join(', ')}) or word (${CONNTRACK_FLAGS.join(', ')}) of a conntrack check`)
  }
  for (const key of KEY_ORDER) {
    const v = check.options[key]
    if (v === undefined) continue
    const c = await keyCondition(ctx, key, v, machine)
    if (typeof c === 'string') return invalidProbe(c)
    conditions.push(c)
  }
  conditions.push(...flags)
  /** ` tcp state=ESTABLISHED dport=80`, or nothing when the check asks for any entry. */
  const wanted = conditions.map((c) => ` ${c.text}`).join('')

  const r = await ctx.look({ machine, script: CONNTRACK_LIST, timeoutMs: opts.timeoutMs })
  const evidence = [evidenceOf(r)]
  const problem = execProblem(r, 'conntrack -L', opts.timeoutMs)
  if (problem?.missing) return invalidProbe(`${problem.sentence}: the conntrack check runs conntrack (Debian package conntrack)`, evidence)
  if (problem) return { holds: false, sentence: problem.sentence, evidence }
  const listing = parseConntrack(r.stdout, r.stderr)
  if (r.exitCode !== 0) {
    return invalidProbe(`${machine} could not list its conntrack table: ${listing.messages.join('; ') || `exit ${r.exitCode}`}`, evidence)
  }
  const entries = listing.entries
  const expected = `an entry${wanted}`
  const hits = entries.filter((e) => conditions.every((c) => c.holds(e)))
  if (hits.length > 0) {
    const more = hits.length > 1 ? ` (and ${hits.length - 1} more)` : ''
    return { holds: true, sentence: `${machine} has a conntrack entry${wanted}: ${shown(hits[0]!)}${more}`, expected, got: list(hits), evidence }
  }
  if (entries.length === 0) {
    return { holds: false, sentence: `${machine} has no conntrack entry${wanted}: its conntrack table is empty`, expected, got: 'no entries', evidence }
  }
  const closest = closestConntrackEntries(entries, conditions, protocol)
  const best = closest[0]!
  const differs = conditions.filter((c) => !c.holds(best)).map((c) => c.differs(best)).join('; ')
  const count = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`
  return {
    holds: false,
    sentence: `${machine} has no conntrack entry${wanted} among its ${count}; the closest is ${shown(best)} (${differs})`,
    expected,
    got: list(closest),
    evidence,
  }
}

/** An entry as conntrack prints it, without what says nothing to the check (family, numbers, time left, use=, mark=0). */
export function shown(e: ConntrackEntry): string {
  const tuple = (t: ConntrackTuple) => Object.entries(t.fields).map(([k, v]) => `${k}=${v}`).join(' ')
  const other = e.flags.filter((f) => f !== 'UNREPLIED').map((f) => ` [${f}]`).join('')
  return [
    `${e.proto}${e.state ? ` ${e.state}` : ''} ${tuple(e.original)}`,
    e.flags.includes('UNREPLIED') ? ' [UNREPLIED]' : '',
    ` ${tuple(e.reply)}${other}`,
    e.mark ? ` mark=${e.mark}` : '',
    e.zone ? ` zone=${e.zone}` : '',
  ].join('')
}

function list(entries: ConntrackEntry[]): string {
  const head = entries.slice(0, LIST_MAX).map(shown).join('\n')
  return entries.length > LIST_MAX ? `${head}\n… (${entries.length - LIST_MAX} more)` : head
}

/** A key=value of the check as a condition, or a sentence saying why it cannot be one. */
async function keyCondition(ctx: CheckContext, key: (typeof KEY_ORDER)[number], v: string, machine: string): Promise<Condition | string> {
  const text = `${key}=${v}`
  if ((CONNTRACK_ADDRESS_KEYS as readonly string[]).includes(key)) return addressCondition(ctx, key, v, machine)
  if ((CONNTRACK_PORT_KEYS as readonly string[]).includes(key)) {
    if (!/^\d{1,5}$/.test(v)) return `${text} is not a port`
    const side = tupleOf(key)
    const port = key.endsWith('sport') ? 'sport' : 'dport'
    return { text, holds: (e) => side(e)[port] === Number(v), differs: (e) => `${key}=${side(e)[port] ?? 'none'}, not ${text}` }
  }
  if (key === 'state') {
    const want = v.toUpperCase()
    const said = `state=${want}`
    return { text: said, holds: (e) => e.state === want, differs: (e) => `${e.state ? `state=${e.state}` : `no state (${e.proto})`}, not ${said}` }
  }
  const want = Number(v)
  if (!Number.isInteger(want)) return `${text} is not a number`
  // An entry in zone 0 does not print zone=.
  const of = (e: ConntrackEntry) => (key === 'mark' ? e.mark : e.zone) ?? 0
  return { text, holds: (e) => of(e) === want, differs: (e) => `${key}=${of(e)}, not ${text}` }
}

function tupleOf(key: string): (e: ConntrackEntry) => ConntrackTuple {
  return key.startsWith('reply-') ? (e) => e.reply : (e) => e.original
}

function flagCondition(flag: string): Condition {
  switch (flag) {
    case 'assured':
      return { text: 'assured', holds: (e) => e.flags.includes('ASSURED'), differs: () => 'not [ASSURED]' }
    case 'unreplied':
      return { text: 'unreplied', holds: (e) => e.flags.includes('UNREPLIED'), differs: () => 'not [UNREPLIED]' }
    case 'snat':
      return { text: 'snat', holds: sourceTranslated, differs: () => 'its source is not translated: replies go back where it came from' }
    default:
      return { text: 'dnat', holds: destinationTranslated, differs: () => 'its destination is not translated: replies come from where it went' }
  }
}

/** The reply goes to another address (or port, or ICMP id) than the original came from. */
function sourceTranslated(e: ConntrackEntry): boolean {
  const o = e.original.fields
  const r = e.reply.fields
  return r.dst !== o.src || r.dport !== o.sport || (o.id !== undefined && r.id !== o.id)
}

/** The reply comes from another address (or port) than the original went to. */
function destinationTranslated(e: ConntrackEntry): boolean {
  const o = e.original.fields
  const r = e.reply.fields
  return r.src !== o.dst || r.sport !== o.dport
}

/**
 * src=, dst=, reply-src=, reply-dst=: an IPv4 address, a CIDR, or a machine's
 * name, standing for any of its addresses now but loopback (the lab host is
 * both 172.17.0.1 and 198.51.100.2); a sentence when it is none of these.
 */
async function addressCondition(ctx: CheckContext, key: string, value: string, machine: string): Promise<Condition | string> {
  const side = tupleOf(key)
  const field = key.endsWith('src') ? 'src' : 'dst'
  const differs = (text: string) => (e: ConntrackEntry) => `${key}=${side(e)[field] ?? 'none'}, not ${text}`
  if (value.includes('/')) {
    const c = parseCidr(value)
    if ('error' in c) return c.error
    const inside = (ip: string | undefined) => {
      const v = ip !== undefined && isIPv4(ip) ? parseIPv4(ip) : undefined
      return v !== undefined && 'value' in v && inSubnet(v.value, c.address, c.prefix)
    }
    return { text: `${key}=${value}`, holds: (e) => inside(side(e)[field]), differs: differs(`${key}=${value}`) }
  }
  if (isIPv4(value)) return { text: `${key}=${value}`, holds: (e) => side(e)[field] === value, differs: differs(`${key}=${value}`) }
  const now = (await ctx.addressesOf?.(value))?.map((a) => a.ip).filter((ip) => !ip.startsWith('127.'))
  const declared = machinesOf(ctx.lab.topology).includes(value) ? ctx.addressOf(value, machine) : undefined
  // In the order of their numbers, so that a sentence reads the same whatever order the machine lists them in.
  const ips = (now && now.length > 0 ? now : declared !== undefined ? [declared] : []).sort((a, b) => ipNumber(a) - ipNumber(b))
  if (ips.length === 0) {
    return `"${value}" in ${key}= is neither a machine of this lab (${machinesOf(ctx.lab.topology).join(', ')}, or a network namespace it made) nor an IPv4 address or CIDR`
  }
  return { text: `${key}=${value} (${ips.join(' or ')})`, holds: (e) => ips.includes(side(e)[field] ?? ''), differs: differs(`${key}=${value}`) }
}

function ipNumber(ip: string): number {
  const v = parseIPv4(ip)
  return 'value' in v ? v.value : 0
}
