// One line of a ```check block → a typed Check, or one plain sentence saying
// what is wrong with it. Which machines a lab has is known only to parseLab,
// so the arguments that name machines are handed back for it to look up.

import type { Check, CheckVerb } from './lab.js'
import { compileLabRegex, REGEX_FLAGS, shownRegex } from './compile-lab-regex.js'
import { suggestion } from '../util/did-you-mean.js'
import { MAX_REGEX_LENGTH } from './lab-text-limits.js'
import { parseDuration } from '../util/parse-duration.js'
import { parseCidr, parseIPv4 } from './parse-ipv4.js'
import { splitWords } from './split-words.js'
import { parsePercent } from './parse-percent.js'
import { CONNTRACK_OPTIONS, CONNTRACK_USAGE, conntrackCheckProblem, conntrackMachineOptions } from './conntrack-check-problem.js'
import { httpBackendsProblem } from './http-backends.js'
import { NFT_CHAIN_TYPES, NFT_FAMILIES, NFT_HOOKS, NFT_NAME, NFT_POLICIES, nftPriority, nftPriorityNames } from './nft-names.js'

export interface ParsedCheck {
  check?: Check
  problem?: string
  /** Indexes into check.args of the arguments that name machines of the lab. */
  machineArgs: number[]
  /** Keys of check.options whose values name machines of the lab (conntrack's src=box1). */
  machineOptions?: string[]
}

interface VerbSpec {
  usage: string
  min: number
  max: number
  options: readonly string[]
}

const LIVE = ['within']
const NFT_CHAIN_OPTIONS = ['type', 'hook', 'priority', 'policy']

const VERBS: Record<CheckVerb, VerbSpec> = {
  // count= makes it a series of echoes judged on ping's statistics (loss, round trips).
  ping: { usage: 'ping FROM TO', min: 2, max: 2, options: ['count', 'min-loss', 'max-loss', 'min-rtt', 'max-rtt', ...LIVE] },
  // backends= makes it a series of requests judged on who answered them (count= of them).
  http: { usage: 'http FROM URL [status=N] [contains="text"] [backends="a b …" [count=N]]', min: 2, max: 2, options: ['status', 'contains', 'backends', 'count', ...LIVE] },
  rule: { usage: 'rule TABLE CHAIN SPEC…', min: 3, max: Infinity, options: ['min-packets', ...LIVE] },
  // RULE is nft's own text, quotes and all (see validate); without it, the chain (its type=, hook=, …) or the table.
  nft: { usage: 'nft NAME FAMILY TABLE [CHAIN [RULE…]]', min: 3, max: Infinity, options: ['min-packets', ...NFT_CHAIN_OPTIONS, ...LIVE] },
  policy: { usage: 'policy TABLE CHAIN TARGET', min: 3, max: 3, options: LIVE },
  addr: { usage: 'addr NAME IFACE CIDR', min: 3, max: 3, options: LIVE },
  master: { usage: 'master IFACE BRIDGE', min: 2, max: 2, options: LIVE },
  route: { usage: 'route NAME DEST via GW (or dev IFACE, or via GW dev IFACE)', min: 4, max: 6, options: LIVE },
  // A value of several words ("4096 131072 6291456") may go unquoted: the check joins them.
  sysctl: { usage: 'sysctl NAME KEY VALUE', min: 3, max: Infinity, options: LIVE },
  netns: { usage: 'netns NAME', min: 1, max: 1, options: LIVE },
  // A protocol and words such as assured after the machine; conntrackCheckProblem bounds them.
  conntrack: { usage: CONNTRACK_USAGE, min: 1, max: Infinity, options: [...CONNTRACK_OPTIONS, ...LIVE] },
  // exit and stdout judge the run that already happened: nothing to retry.
  exit: { usage: 'exit N', min: 1, max: 1, options: [] },
  stdout: { usage: 'stdout "text" or stdout /regex/', min: 1, max: 1, options: [] },
  sh: { usage: 'sh NAME "command"', min: 2, max: 2, options: LIVE },
}

export const CHECK_VERBS = Object.keys(VERBS) as CheckVerb[]

export const TABLES = ['raw', 'mangle', 'nat', 'filter', 'security']

/** Built-in chains per table: only these have a policy. */
const BUILTIN_CHAINS: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
}

export const DEFAULT_WITHIN_MS = 2000

/** Interface names: at most 15 bytes (IFNAMSIZ - 1), no space, slash or colon. */
export function interfaceNameProblem(name: string, what: string): string | undefined {
  if (/^[^\s/:]{1,15}$/.test(name) && name !== '.' && name !== '..') return undefined
  return `${what} "${name}" is not an interface name: at most 15 characters, without spaces, / or :`
}

const looksLikeAddress = (s: string) => /^[0-9.]+$/.test(s)

/**
 * What is wrong with a regex, if anything. It is read as JavaScript first, so
 * that a slip gets JavaScript's own words ("Unterminated group"); then it is
 * compiled as it will run, by RE2 in linear time (see compile-lab-regex.ts).
 */
function checkRegex(body: string, flags: string): string | undefined {
  if (!REGEX_FLAGS.test(flags)) return `bad regex flags "${flags}": use i, m, s or u`
  // Too long for RE2 is said before V8 reads it (compileLabRegex says why).
  if (body.length > MAX_REGEX_LENGTH) return `bad regex ${shownRegex(body, flags)}: ${(compileLabRegex(body, flags) as { error: string }).error}`
  try {
    new RegExp(body, flags)
  } catch (e) {
    return `bad regex ${shownRegex(body, flags)}: ${(e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`
  }
  const r = compileLabRegex(body, flags)
  return 'error' in r ? `bad regex ${shownRegex(body, flags)}: ${r.error}` : undefined
}

/**
 * Reads a regex literal /…/flags at the start of `s`: the closing slash is
 * the first one not escaped and not in a [class].
 */
function readRegex(s: string): { body: string; flags: string; end: number } | undefined {
  let inClass = false
  for (let i = 1; i < s.length; i++) {
    const c = s[i]
    if (c === '\\') i++
    else if (c === '[') inClass = true
    else if (c === ']') inClass = false
    else if (c === '/' && !inClass) {
      let end = i + 1
      while (end < s.length && /[a-z]/i.test(s[end]!)) end++
      return { body: s.slice(1, i), flags: s.slice(i + 1, end), end }
    }
  }
  return undefined
}

const fail = (problem: string): ParsedCheck => ({ problem, machineArgs: [] })
const WORD_AND_SPACE = /^(\S+)(?:[ \t]+|$)/

export function parseCheck(line: string, lineNo: number): ParsedCheck {
  const source = line.trim()

  // The verb (and `no`) first, so that stdout's /regex/ can be read as written:
  // a shell would eat its backslashes.
  const head = WORD_AND_SPACE.exec(source)
  if (!head) return fail('an empty check')
  let negated = false
  let verbWord = head[1]!
  let rest = source.slice(head[0].length)
  if (verbWord === 'no') {
    const next = WORD_AND_SPACE.exec(rest)
    if (!next) return fail('"no" needs a check after it, e.g. no ping box1 internet')
    negated = true
    verbWord = next[1]!
    rest = rest.slice(next[0].length)
  }
  if (!Object.hasOwn(VERBS, verbWord)) {
    // Before a verb, a misspelt word is most likely "no" ("not ping …": not nft).
    const next = WORD_AND_SPACE.exec(rest)?.[1]
    const hint = (next !== undefined && Object.hasOwn(VERBS, next) ? suggestion(verbWord, ['no']) : '') || suggestion(verbWord, [...CHECK_VERBS, 'no'])
    return fail(`unknown check "${verbWord}"${hint || `; the checks are ${CHECK_VERBS.join(', ')}`}`)
  }
  const verb = verbWord as CheckVerb
  const spec = VERBS[verb]

  let regex: { body: string; flags: string; literal: string } | undefined
  if (verb === 'stdout' && rest.startsWith('/')) {
    const r = readRegex(rest)
    if (!r) return fail(`the regex ${rest} has no closing /: write stdout /regex/`)
    regex = { body: r.body, flags: r.flags, literal: rest.slice(0, r.end) }
    if (r.end < rest.length && rest[r.end] !== ' ' && rest[r.end] !== '\t') {
      return fail(`unexpected text after the regex ${regex.literal}: write stdout /regex/`)
    }
    rest = rest.slice(r.end)
  }

  const split = splitWords(rest, line.length - line.trimStart().length + source.length - rest.length)
  if ('error' in split) return fail(`${split.error}: quote as a shell does`)
  const args: string[] = regex ? [regex.literal] : []
  const options: Record<string, string> = {}
  for (const w of split.words) {
    if (w.key === undefined) {
      // An nft rule is handed to nft as written: its quotes are nft's ("br0", comment "a b"), not a shell's.
      args.push(verb === 'nft' && args.length >= 4 ? w.raw : w.text)
      continue
    }
    if (!spec.options.includes(w.key)) {
      const known = spec.options.length === 0 ? `${verb} takes no options` : `${verb} takes ${spec.options.map((o) => `${o}=`).join(', ')}`
      return fail(`unknown option "${w.key}=" for ${verb}${suggestion(w.key, spec.options) || `; ${known}`}`)
    }
    if (Object.hasOwn(options, w.key)) return fail(`${w.key}= is given twice`)
    if (w.text === '') return fail(`${w.key}= needs a value`)
    options[w.key] = w.text
  }

  if (args.length < spec.min) return fail(`too few arguments for ${verb}: write ${spec.usage}`)
  if (args.length > spec.max) {
    const bound = verb === 'ping' ? args.slice(2).find((w) => /^(?:loss|rtt)\s*[<>]=?/.test(w)) : undefined
    if (bound) {
      const [, what, op] = /^(loss|rtt)\s*([<>])/.exec(bound)!
      return fail(`write "${bound}" as an option: ${op === '>' ? 'min' : 'max'}-${what}=…, with count=N, e.g. ping box1 box2 count=20 min-loss=10% max-loss=60% min-rtt=90ms`)
    }
    const quote = verb === 'sh' ? ' (quote the command)' : verb === 'stdout' ? ' (quote the text)' : ''
    return fail(`too many arguments for ${verb}: write ${spec.usage}${quote}`)
  }

  let withinMs = DEFAULT_WITHIN_MS
  if (options.within !== undefined) {
    const d = parseDuration(options.within)
    if ('error' in d) return fail(`bad within=: ${d.error}`)
    withinMs = d.ms
  }

  const machineArgs: number[] = []
  const problem = regex ? checkRegex(regex.body, regex.flags) : validate(verb, args, options, machineArgs, negated)
  if (problem) return fail(problem)
  if (regex) {
    options.regex = regex.body
    options.flags = regex.flags
  }
  const parsed: ParsedCheck = { check: { verb, negated, args, options, withinMs, line: lineNo, source }, machineArgs }
  const machineOptions = verb === 'conntrack' ? conntrackMachineOptions(options) : []
  if (machineOptions.length) parsed.machineOptions = machineOptions
  return parsed
}

function addressProblem(text: string): string | undefined {
  const r = parseIPv4(text)
  return 'error' in r ? r.error : undefined
}

/** What is wrong with the arguments of a check, if anything; notes the ones that name machines. */
function validate(verb: CheckVerb, args: string[], options: Record<string, string>, machineArgs: number[], negated: boolean): string | undefined {
  const a = (i: number) => args[i]!
  const usage = VERBS[verb].usage
  switch (verb) {
    case 'ping': {
      machineArgs.push(0)
      if (looksLikeAddress(a(1))) {
        const p = addressProblem(a(1))
        if (p) return p
      } else machineArgs.push(1)
      return pingOptionsProblem(options)
    }
    case 'http': {
      machineArgs.push(0)
      let url: URL | undefined
      try {
        url = new URL(a(1))
      } catch {
        url = undefined
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        return `http needs a URL that starts with http:// or https://, not "${a(1)}"`
      }
      // A status, or a class of them: 404, 2xx.
      if (options.status !== undefined && !/^[1-5](?:\d\d|xx)$/.test(options.status)) {
        return `bad status="${options.status}": write an HTTP status from 100 to 599, or a class such as 2xx`
      }
      return httpBackendsProblem(options, negated)
    }
    case 'rule': {
      const tableProblem = tableCheck(a(0))
      if (tableProblem) return tableProblem
      if (a(1).startsWith('-')) return `write the chain before the rule: ${usage}, e.g. rule nat POSTROUTING -s 172.17.0.0/16 -j MASQUERADE`
      const first = a(2)
      if (first !== '!' && !first.startsWith('-')) {
        return `the rule is written as after iptables -A ${a(1)}, starting with an option such as -s or -j, not "${first}"`
      }
      if (options['min-packets'] !== undefined && !/^\d{1,15}$/.test(options['min-packets'])) {
        return `bad min-packets="${options['min-packets']}": write a whole number, e.g. min-packets=1`
      }
      return undefined
    }
    case 'nft':
      machineArgs.push(0)
      return nftProblem(args, options)
    case 'policy': {
      const tableProblem = tableCheck(a(0))
      if (tableProblem) return tableProblem
      const chains = BUILTIN_CHAINS[a(0)]!
      if (!chains.includes(a(1))) {
        return `only built-in chains have a policy, and ${a(0)} has ${chains.join(', ')}, not "${a(1)}"${suggestion(a(1), chains)}`
      }
      if (a(2) !== 'ACCEPT' && a(2) !== 'DROP') return `a policy is ACCEPT or DROP, not "${a(2)}"${suggestion(a(2), ['ACCEPT', 'DROP'])}`
      return undefined
    }
    case 'addr': {
      machineArgs.push(0)
      const ifaceProblem = interfaceNameProblem(a(1), 'IFACE')
      if (ifaceProblem) return ifaceProblem
      // An address alone stands for itself (a /32).
      if (!a(2).includes('/')) return addressProblem(a(2))
      const c = parseCidr(a(2))
      return 'error' in c ? c.error : undefined
    }
    case 'master':
      return interfaceNameProblem(a(0), 'IFACE') ?? interfaceNameProblem(a(1), 'BRIDGE')
    case 'route': {
      machineArgs.push(0)
      // DEST via GW, DEST dev IFACE, or both: via first.
      const rest = args.slice(2)
      const shape = rest.filter((_, i) => i % 2 === 0).join(' ')
      if (!['via', 'dev', 'via dev'].includes(shape) || rest.length % 2 !== 0) {
        return `write route NAME DEST via GW or route NAME DEST dev IFACE (or both, via first), with the word via before the gateway and dev before the interface (got "${rest.join(' ')}")`
      }
      const dest = a(1)
      if (dest !== 'default') {
        if (dest.includes('/')) {
          const c = parseCidr(dest)
          if ('error' in c) return c.error
        } else if (looksLikeAddress(dest)) {
          const p = addressProblem(dest)
          if (p) return p
        } else {
          return `DEST is an address, a CIDR or default, not "${dest}"${suggestion(dest, ['default'])}`
        }
      }
      const dev = rest.indexOf('dev')
      if (dev >= 0) {
        const p = interfaceNameProblem(rest[dev + 1]!, 'IFACE')
        if (p) return p
      }
      if (rest[0] === 'via') {
        if (looksLikeAddress(a(3))) return addressProblem(a(3))
        machineArgs.push(3)
      }
      return undefined
    }
    case 'sysctl': {
      machineArgs.push(0)
      if (!/^[A-Za-z0-9_.\/-]+$/.test(a(1))) return `"${a(1)}" is not a sysctl key, e.g. net.ipv4.ip_forward`
      if (a(2) === '') return `sysctl needs the value to compare with: ${usage}`
      return undefined
    }
    case 'netns':
      if (!/^[A-Za-z0-9_.-]+$/.test(a(0)) || a(0) === '.' || a(0) === '..') {
        return `"${a(0)}" is not a network namespace name: letters, digits, -, _ and .`
      }
      return undefined
    case 'conntrack':
      machineArgs.push(0)
      return conntrackCheckProblem(args, options)
    case 'exit':
      if (!/^\d{1,3}$/.test(a(0)) || Number(a(0)) > 255) return `exit needs a number from 0 to 255, not "${a(0)}"`
      return undefined
    case 'stdout':
      if (a(0) === '') return 'stdout needs the text to look for: stdout "text"'
      return undefined
    case 'sh':
      machineArgs.push(0)
      if (a(1).trim() === '') return `sh needs a command: ${usage}`
      return undefined
  }
}

/** Most echoes one ping check sends: 0.2 s apart, 1000 take over three minutes. */
export const MAX_PING_COUNT = 1000

/** ping's count= and the bounds on its statistics: what is wrong, if anything. */
function pingOptionsProblem(options: Record<string, string>): string | undefined {
  const bounds = ['min-loss', 'max-loss', 'min-rtt', 'max-rtt'].filter((k) => options[k] !== undefined)
  if (options.count === undefined) {
    return bounds.length ? `${bounds[0]}= is judged on a series of echoes: add count=N, e.g. ping box1 box2 count=20 ${bounds[0]}=${options[bounds[0]!]}` : undefined
  }
  const count = /^\d{1,4}$/.test(options.count) ? Number(options.count) : NaN
  if (!(count >= 1 && count <= MAX_PING_COUNT)) return `bad count="${options.count}": write how many echoes to send, 1 to ${MAX_PING_COUNT}, e.g. count=20`
  if (options.within !== undefined) return `within= does not go with count=: a ping of ${count} echoes is judged once, on its statistics, when the last echo is answered or lost`
  const loss: Record<string, number> = {}
  for (const k of ['min-loss', 'max-loss']) {
    if (options[k] === undefined) continue
    const p = parsePercent(options[k]!)
    if (p === undefined) return `bad ${k}="${options[k]}": write a share of the echoes from 0% to 100%, e.g. ${k}=${k === 'min-loss' ? '10%' : '60%'}`
    loss[k] = p
  }
  if (loss['min-loss'] !== undefined && loss['max-loss'] !== undefined && loss['min-loss'] > loss['max-loss']) {
    return `min-loss=${options['min-loss']} is more than max-loss=${options['max-loss']}: no loss is both`
  }
  const rtt: Record<string, number> = {}
  for (const k of ['min-rtt', 'max-rtt']) {
    if (options[k] === undefined) continue
    const d = parseDuration(options[k]!)
    if ('error' in d) return `bad ${k}=: ${d.error}`
    rtt[k] = d.ms
  }
  if (rtt['min-rtt'] !== undefined && rtt['max-rtt'] !== undefined && rtt['min-rtt'] > rtt['max-rtt']) {
    return `min-rtt=${options['min-rtt']} is more than max-rtt=${options['max-rtt']}: no round trip is both`
  }
  return undefined
}

/** What is wrong with an nft check's FAMILY, TABLE, CHAIN, RULE and options, if anything. */
function nftProblem(args: string[], options: Record<string, string>): string | undefined {
  const [, family = '', table = '', chain] = args
  const rule = args.slice(4)
  if (!(NFT_FAMILIES as readonly string[]).includes(family)) {
    const hint = suggestion(family, NFT_FAMILIES)
    if (hint) return `unknown family "${family}"${hint}`
    return `"${family}" is not a family of nftables (${NFT_FAMILIES.join(', ')}): write the family before the table, e.g. nft host ip lab postrouting ip saddr 10.0.0.0/8 masquerade`
  }
  const nameProblem = (what: string, name: string) =>
    NFT_NAME.test(name) ? undefined : `"${name}" is not a ${what} name nft reads: a letter or _, then letters, digits, _, ., -, / or \\`
  const p = nameProblem('table', table) ?? (chain !== undefined ? nameProblem('chain', chain) : undefined)
  if (p) return p
  const chainOptions = NFT_CHAIN_OPTIONS.filter((k) => options[k] !== undefined)
  if (rule.length === 0) {
    if (options['min-packets'] !== undefined) return `min-packets= counts the packets of a rule: write the rule, e.g. nft host ${family} ${table} ${chain ?? 'CHAIN'} ip saddr 10.0.0.0/8 counter masquerade min-packets=1`
    if (chainOptions.length && chain === undefined) return `${chainOptions[0]}= describes a chain: name it, e.g. nft host ${family} ${table} postrouting type=nat hook=postrouting`
    const lists: Record<string, readonly string[]> = { type: NFT_CHAIN_TYPES, hook: NFT_HOOKS, policy: NFT_POLICIES }
    for (const k of ['type', 'hook', 'policy']) {
      const v = options[k]
      if (v !== undefined && !lists[k]!.includes(v)) return `bad ${k}="${v}": a chain's ${k} is ${lists[k]!.join(', ')}${suggestion(v, lists[k]!)}`
    }
    const prio = options.priority
    if (prio !== undefined && nftPriority(prio, family) === undefined) {
      return `bad priority="${prio}": write a number or one of ${nftPriorityNames(family).join(', ')}, optionally +N or -N (srcnat+5)${suggestion(prio.replace(/[+-]\d+$/, ''), nftPriorityNames(family))}`
    }
    return undefined
  }
  if (chainOptions.length) return `${chainOptions.map((k) => `${k}=`).join(', ')} describe${chainOptions.length === 1 ? 's' : ''} the chain, not a rule: write them in a check of their own, without the rule`
  if (['add', 'insert', 'rule', 'replace'].includes(rule[0]!)) {
    return `write the rule alone, as it follows nft add rule ${family} ${table} ${chain}: e.g. nft host ${family} ${table} ${chain} ip saddr 10.0.0.0/8 masquerade`
  }
  if (rule[0]!.startsWith('{')) return `a chain's type, hook, priority and policy are options of their own: nft host ${family} ${table} ${chain} type=nat hook=postrouting priority=srcnat policy=accept`
  // One rule, one command: outside nft's double quotes, nothing may end it (;) or hide the rest (#).
  let quoted = false
  for (const c of rule.join(' ')) {
    if (c === '"') quoted = !quoted
    else if (!quoted && (c === ';' || c === '#')) return `the rule has a "${c}" outside quotes: one rule per check, without nft comments (${c === ';' ? 'write each rule in a check of its own' : 'a rule\'s comment is written comment "text"'})`
  }
  if (quoted) return 'the rule has a " that is never closed'
  if (options['min-packets'] !== undefined && !/^\d{1,15}$/.test(options['min-packets'])) {
    return `bad min-packets="${options['min-packets']}": write a whole number, e.g. min-packets=1`
  }
  return undefined
}

function tableCheck(table: string): string | undefined {
  if (TABLES.includes(table)) return undefined
  return `unknown table "${table}"${suggestion(table, TABLES) || `; the tables are ${TABLES.join(', ')}`}`
}
