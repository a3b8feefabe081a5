// What `conntrack -L` prints (conntrack-tools), one entry a line, with or
// without `-o extended` (see test/fixtures/conntrack/README.md):
//   [FAMILY FAMILYNUM] PROTO PROTONUM TIMEOUT [STATE] TUPLE [UNREPLIED] TUPLE [ASSURED] mark=N [zone=N] use=N
// and on stderr `conntrack v1.4.7 (conntrack-tools): N flow entries have been shown.`
// Read by hand: the only other form, `-o xml`, says no more and needs an XML parser.

/** One direction of a connection: `src= dst=` and the protocol's own fields (sport/dport, type/code/id). */
export interface ConntrackTuple {
  src?: string
  dst?: string
  sport?: number
  dport?: number
  /** Every key=value of the tuple as printed, in order. */
  fields: Record<string, string>
}

export interface ConntrackEntry {
  /** `ipv4`, `ipv6` (printed with -o extended, else read from the addresses). */
  family?: string
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `sctp`, `unknown` … */
  proto: string
  protoNumber: number
  /** Seconds the entry has left. */
  timeout: number
  /** TCP's (sctp's, dccp's) state as conntrack follows it: ESTABLISHED, TIME_WAIT …; none for udp and icmp. */
  state?: string
  /** The connection as its first packet looked. */
  original: ConntrackTuple
  /** The reply conntrack expects: a NAT translation is how it differs from the original. */
  reply: ConntrackTuple
  /** ASSURED, UNREPLIED, OFFLOAD …, without brackets. */
  flags: string[]
  mark?: number
  zone?: number
  /** The other key=values after the tuples: use, id, secctx, helper … */
  meta: Record<string, string>
  /** The line as printed, blanks made one space. */
  line: string
}

export interface ConntrackListing {
  entries: ConntrackEntry[]
  /** N of `N flow entries have been shown.`, when stderr says it. */
  shown?: number
  /** conntrack-tools' version, from the same line (or its error lines). */
  version?: string
  /** What conntrack said on stderr other than the count (an error, a warning). */
  messages: string[]
  /** Lines of stdout that are no entry. */
  unparsed: string[]
}

const SHOWN = /^conntrack v(\S+) \(conntrack-tools\): (\d+) flow entries have been shown\.$/
const TOOL = /^conntrack v(\S+) \(conntrack-tools\): ?(.*)$/
const NUMBER = /^\d+$/
const STATE = /^[A-Z][A-Z0-9_]*$/

/** Entries of `conntrack -L` (stdout) and what it said on stderr. */
export function parseConntrack(stdout: string, stderr = ''): ConntrackListing {
  const out: ConntrackListing = { entries: [], messages: [], unparsed: [] }
  for (const raw of stdout.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    const e = parseEntry(line)
    if (e) out.entries.push(e)
    else out.unparsed.push(line)
  }
  for (const raw of stderr.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    const shown = SHOWN.exec(line)
    if (shown) {
      out.version = shown[1]
      out.shown = Number(shown[2])
      continue
    }
    const tool = TOOL.exec(line)
    if (tool) out.version = tool[1]
    out.messages.push(tool ? tool[2]! : line)
  }
  return out
}

/** One line of the listing, or undefined when it is none. */
export function parseEntry(text: string): ConntrackEntry | undefined {
  const words = text.split(/\s+/)
  let i = 0
  let family: string | undefined
  // -o extended: FAMILY FAMILYNUM PROTO PROTONUM TIMEOUT; plain: PROTO PROTONUM TIMEOUT.
  if (words.length > 4 && !NUMBER.test(words[2]!) && NUMBER.test(words[3]!) && NUMBER.test(words[1]!)) {
    family = words[0]
    i = 2
  }
  const proto = words[i]
  const protoNumber = words[i + 1]
  const timeout = words[i + 2]
  if (!proto || !/^[a-z][a-z0-9-]*$/.test(proto) || !protoNumber || !NUMBER.test(protoNumber) || !timeout || !NUMBER.test(timeout)) return undefined
  i += 3
  let state: string | undefined
  if (words[i] && STATE.test(words[i]!)) state = words[i++]
  const original: ConntrackTuple = { fields: {} }
  const reply: ConntrackTuple = { fields: {} }
  const flags: string[] = []
  const meta: Record<string, string> = {}
  // Which part a key=value belongs to: the original tuple until the second src=, then the
  // reply tuple for the keys the original has (once each), then the entry's own (mark, use …).
  let part: 'before' | 'original' | 'reply' | 'meta' = 'before'
  for (; i < words.length; i++) {
    const w = words[i]!
    const flag = /^\[([A-Z_]+)\]$/.exec(w)
    if (flag) {
      flags.push(flag[1]!)
      continue
    }
    const eq = w.indexOf('=')
    if (eq <= 0) return undefined
    const key = w.slice(0, eq)
    const value = w.slice(eq + 1)
    if (key === 'src') part = part === 'before' ? 'original' : part === 'original' ? 'reply' : 'meta'
    else if (part === 'reply' && (!(key in original.fields) || key in reply.fields)) part = 'meta'
    else if (part === 'before') return undefined
    if (part === 'original') original.fields[key] = value
    else if (part === 'reply') reply.fields[key] = value
    else meta[key] = value
  }
  if (original.fields.src === undefined || reply.fields.src === undefined) return undefined
  const entry: ConntrackEntry = {
    family: family ?? (original.fields.src.includes(':') ? 'ipv6' : 'ipv4'),
    proto,
    protoNumber: Number(protoNumber),
    timeout: Number(timeout),
    original: tuple(original.fields),
    reply: tuple(reply.fields),
    flags,
    meta,
    line: words.join(' '),
  }
  if (state !== undefined) entry.state = state
  const mark = numberOf(meta.mark)
  if (mark !== undefined) entry.mark = mark
  const zone = numberOf(meta.zone)
  if (zone !== undefined) entry.zone = zone
  return entry
}

function tuple(fields: Record<string, string>): ConntrackTuple {
  const t: ConntrackTuple = { fields }
  if (fields.src !== undefined) t.src = fields.src
  if (fields.dst !== undefined) t.dst = fields.dst
  const sport = numberOf(fields.sport)
  if (sport !== undefined) t.sport = sport
  const dport = numberOf(fields.dport)
  if (dport !== undefined) t.dport = dport
  return t
}

function numberOf(s: string | undefined): number | undefined {
  return s !== undefined && NUMBER.test(s) ? Number(s) : undefined
}
