// The YAML front matter of a lab: found between the `---` lines at the top,
// parsed with yaml (keeping every node's offset, for lines), checked with
// strict shapes (check-shape.ts), and turned into the lab's metadata and topology.
// Every problem is reported at the line of the key or value at fault.

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { checkShape, type Field, type Shape, type ShapeIssue } from './check-shape.js'
import type { Engine, LabLang, Topology } from './lab.js'
import { buildTopology, type ContainerInput, type Located, type NetworkInput } from './build-topology.js'
import { didYouMean, suggestion } from '../util/did-you-mean.js'
import type { LineIndex } from './line-index.js'
import { MAX_CONTAINERS } from './lab-text-limits.js'
import { parseDuration } from '../util/parse-duration.js'
import { readSysctl } from './sysctl-settings.js'
import { readKernelNeeds, type KernelNeeds } from './kernel-needs.js'

export interface FrontMatter {
  title: string
  summary?: string
  engine: Engine
  lang: LabLang
  timeoutMs: number
  topology: Topology
  kernel?: KernelNeeds
}

export interface FrontMatterResult {
  /** Set only when the front matter has no problem. */
  meta?: FrontMatter
  /** Where the Markdown after the front matter starts; undefined when it cannot be told. */
  bodyOffset?: number
  problems: Located[]
}

export const ENGINES: Engine[] = ['netns', 'docker']
/** Languages a lab's prose may be in: nslab's own words to a learner follow it (runner/learn/learner-words.ts). */
export const LANGS: LabLang[] = ['en', 'zh']
/** Other ways people write these languages, each answered with its code. */
const LANG_ALIASES: Record<string, LabLang> = {
  'zh-cn': 'zh', 'zh_cn': 'zh', 'zh-hans': 'zh', 'zh-hans-cn': 'zh', cn: 'zh', chinese: 'zh', 中文: 'zh',
  'en-us': 'en', 'en_us': 'en', 'en-gb': 'en', english: 'en',
}
export const DEFAULT_TIMEOUT_MS = 10_000
/** A front matter is a few lines; anything bigger is a mistake, and parsing it costs. */
const MAX_FRONT_MATTER = 64 * 1024
const MAX_DEPTH = 64

const KEYS = {
  root: ['title', 'summary', 'lang', 'engine', 'timeout', 'topology', 'sysctl', 'kernel'],
  topology: ['docker', 'icc', 'userland-proxy', 'bridge', 'networks', 'containers', 'internet'],
  container: ['ip', 'networks', 'publish', 'command'],
  network: ['subnet', 'icc'],
}

const NetworkShape: Shape = {
  type: 'map',
  fields: {
    subnet: { type: 'string', optional: true },
    icc: { type: 'boolean', optional: true },
  },
}

const ContainerShape: Shape = {
  type: 'map',
  fields: {
    ip: { type: 'string', optional: true },
    networks: { type: 'array', of: { type: 'string' }, optional: true },
    publish: { type: 'array', of: { type: 'string' }, optional: true },
    command: { type: 'string', optional: true },
  },
}

const TopologyShape: Field = {
  type: 'map',
  optional: true,
  nullable: true,
  fields: {
    docker: { type: 'boolean', optional: true },
    icc: { type: 'boolean', optional: true },
    'userland-proxy': { type: 'boolean', optional: true },
    bridge: { type: 'string', optional: true },
    // A list of names or a map of name → settings, as containers.
    networks: { type: 'unknown', optional: true },
    // A list of names or a map of name → settings: told apart by hand, so that
    // each form gets its own plain error rather than a union's.
    containers: { type: 'unknown', optional: true },
    internet: { type: 'boolean', optional: true },
  },
}

const FrontMatterShape: Shape = {
  type: 'map',
  fields: {
    title: { type: 'string', nonEmpty: true },
    summary: { type: 'string', optional: true },
    lang: { type: 'string', optional: true },
    engine: { type: 'string', optional: true },
    // A bare number is a duration without a unit: read it to say so.
    timeout: { type: 'union', of: [{ type: 'string' }, { type: 'number' }], optional: true },
    topology: TopologyShape,
    // A map of setting → value and `defaults: DISTRO`, checked by readSysctl.
    sysctl: { type: 'unknown', optional: true },
    // `modules: [NAME, …]`, checked by readKernelNeeds.
    kernel: { type: 'unknown', optional: true },
  },
}

type Path = (string | number)[]

const FENCE_LINE = /^---[ \t]*$/

export function readFrontMatter(text: string, index: LineIndex): FrontMatterResult {
  const problems: Located[] = []
  if (!FENCE_LINE.test(index.textOf(1))) {
    problems.push({ line: 1, message: 'missing front matter: a lab starts with a line ---, then YAML such as title: My lab, then a line ---' })
    return { problems, bodyOffset: 0 }
  }
  const closing = /^---[ \t]*$/gm
  closing.lastIndex = index.startOf(2)
  const close = index.lineCount >= 2 ? closing.exec(text) : null
  const closeLine = close ? index.lineAt(close.index) : undefined
  const yamlStart = index.startOf(2)
  const fence = /^ {0,3}(```|~~~)/gm
  fence.lastIndex = yamlStart
  const fenceMatch = fence.exec(text)
  const fenceLine = fenceMatch ? index.lineAt(fenceMatch.index) : undefined
  if (closeLine === undefined || (fenceLine !== undefined && fenceLine < closeLine)) {
    const where = fenceLine !== undefined ? ` before the code block on line ${fenceLine}` : ''
    problems.push({ line: 1, message: `the front matter is never closed${where}: add a line --- after its last key` })
    return { problems }
  }
  const bodyOffset = index.startOf(closeLine + 1)
  const yamlText = text.slice(yamlStart, index.startOf(closeLine))
  if (yamlText.length > MAX_FRONT_MATTER) {
    problems.push({ line: 1, message: `the front matter is ${Math.round(yamlText.length / 1024)} KB: a lab's front matter is a few lines (at most 64 KB)` })
    return { problems, bodyOffset }
  }

  const lc = new LineCounter()
  let doc: Document
  try {
    doc = parseDocument(yamlText, { lineCounter: lc, uniqueKeys: false, prettyErrors: false })
  } catch (e) {
    problems.push({ line: 2, message: `the front matter is not YAML nslab can read (${(e as Error).message})` })
    return { problems, bodyOffset }
  }
  const lineOf = (offset: number) => Math.min(closeLine - 1, Math.max(2, 1 + lc.linePos(offset).line))
  const errorLines = new Set<number>()
  for (const err of doc.errors) {
    const line = lineOf(err.pos[0])
    if (errorLines.has(line)) continue
    errorLines.add(line)
    const why = /call stack/i.test(err.message) ? 'it nests too deep' : err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
    problems.push({ line, message: `the front matter is not valid YAML: ${why}` })
  }
  if (problems.length) return { problems, bodyOffset }

  let data: unknown
  try {
    data = doc.toJS({ maxAliasCount: 100 })
  } catch (e) {
    problems.push({ line: 2, message: `the front matter is not YAML nslab can read: ${(e as Error).message}` })
    return { problems, bodyOffset }
  }

  const nodeAt = (path: Path): Node | undefined => {
    const n = path.length === 0 ? doc.contents : doc.getIn(path, true)
    return n && typeof n === 'object' && 'range' in n ? (n as Node) : undefined
  }
  const lineAt = (path: Path): number => {
    for (let p = path; ; p = p.slice(0, -1)) {
      const n = nodeAt(p)
      if (n?.range) return lineOf(n.range[0])
      if (p.length === 0) return 1
    }
  }
  const keyLineAt = (mapPath: Path, key: string): number => {
    const map = nodeAt(mapPath)
    if (isMap(map)) {
      for (const pair of map.items) {
        if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) return lineOf(pair.key.range[0])
      }
    }
    return lineAt(mapPath)
  }

  reportDuplicateKeys(doc.contents, [], lineOf, problems)

  if (data === null || data === undefined) {
    problems.push({ line: 1, message: 'the front matter needs a title, e.g. title: SNAT outbound' })
    return { problems, bodyOffset }
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    problems.push({ line: 2, message: `the front matter is keys and values, such as title: My lab, not ${describe(data)}` })
    return { problems, bodyOffset }
  }

  const issues = checkShape(FrontMatterShape, data)
  for (const issue of issues) problems.push(...issueProblems(issue, [], data, lineAt, keyLineAt))

  const raw = data as Record<string, unknown>
  let engine: Engine = 'netns'
  if (typeof raw.engine === 'string') {
    if ((ENGINES as string[]).includes(raw.engine)) engine = raw.engine as Engine
    else {
      problems.push({
        line: lineAt(['engine']),
        message: `unknown engine "${raw.engine}"${suggestion(raw.engine, ENGINES) || `; this version of nslab knows ${ENGINES.join(', ')}`}`,
      })
    }
  }
  let lang: LabLang = 'en'
  if (typeof raw.lang === 'string') {
    if ((LANGS as string[]).includes(raw.lang)) lang = raw.lang as LabLang
    else {
      problems.push({
        line: lineAt(['lang']),
        message: `unknown lang "${raw.lang}"${langSuggestion(raw.lang) || `; this version of nslab knows ${LANGS.join(', ')}`}`,
      })
    }
  }
  let timeoutMs = DEFAULT_TIMEOUT_MS
  if (typeof raw.timeout === 'string' || typeof raw.timeout === 'number') {
    const d = parseDuration(String(raw.timeout))
    if ('error' in d) problems.push({ line: lineAt(['timeout']), message: `bad timeout: ${d.error}` })
    else if (d.ms <= 0) problems.push({ line: lineAt(['timeout']), message: 'bad timeout: a time limit must be more than 0' })
    else timeoutMs = d.ms
  }
  if (typeof raw.summary === 'string' && raw.summary.trim().includes('\n')) {
    problems.push({ line: lineAt(['summary']), message: 'the summary is one line: put longer text in the lab itself' })
  }

  const topoRaw = raw.topology
  let topology: Topology = { docker: false, containers: [], internet: false }
  if (topoRaw !== null && typeof topoRaw === 'object' && !Array.isArray(topoRaw)) {
    const t = topoRaw as Record<string, unknown>
    const containers = readContainers(t.containers, lineAt, keyLineAt, problems)
    const networks = readNetworks(t.networks, lineAt, keyLineAt, problems)
    const built = buildTopology(
      {
        docker: t.docker === true,
        dockerLine: lineAt(['topology', 'docker']),
        ...(typeof t.icc === 'boolean' ? { icc: t.icc, iccLine: lineAt(['topology', 'icc']) } : {}),
        ...(typeof t['userland-proxy'] === 'boolean' ? { userlandProxy: t['userland-proxy'], userlandProxyLine: lineAt(['topology', 'userland-proxy']) } : {}),
        ...(typeof t.bridge === 'string' ? { bridge: t.bridge, bridgeLine: lineAt(['topology', 'bridge']) } : {}),
        containers,
        containersLine: keyLineAt(['topology'], 'containers'),
        ...(networks ? { networks: networks.list, networksLine: keyLineAt(['topology'], 'networks'), networkNames: networks.names } : {}),
        internet: t.internet === true,
        unsure: Object.keys(t).some((k) => !KEYS.topology.includes(k)),
      },
      keyLineAt([], 'topology'),
    )
    problems.push(...built.problems)
    topology = built.topology
  }

  const sysctl = readSysctl({
    value: raw.sysctl,
    lineOf: (key) => (key === undefined ? keyLineAt([], 'sysctl') : keyLineAt(['sysctl'], key)),
    interfaces: [...(topology.bridge ? [topology.bridge.name] : []), ...(topology.networks ?? []).map((n) => n.bridge.name), ...(topology.internet ? ['eth0'] : [])],
  })
  problems.push(...sysctl.problems)
  // docker: true turns forwarding on, as dockerd does: a distro's "off" does not undo it.
  const settings = topology.docker ? sysctl.settings.filter((s) => s.line !== undefined || s.key !== 'net.ipv4.ip_forward') : sysctl.settings
  if (settings.length) topology.sysctl = settings

  const kernel = readKernelNeeds({
    value: raw.kernel,
    lineOf: (key) => (key === undefined ? keyLineAt([], 'kernel') : keyLineAt(['kernel'], key)),
    moduleLineOf: (i) => lineAt(['kernel', 'modules', i]),
  })
  problems.push(...kernel.problems)

  if (problems.length) return { problems, bodyOffset }
  const title = String(raw.title).trim()
  const meta: FrontMatter = { title, engine, lang, timeoutMs, topology }
  if (typeof raw.summary === 'string') meta.summary = raw.summary.trim()
  if (kernel.needs) meta.kernel = kernel.needs
  return { meta, bodyOffset, problems }
}

function langSuggestion(lang: string): string {
  const alias = LANG_ALIASES[lang.trim().toLowerCase()]
  return alias ? ` (did you mean "${alias}"?)` : suggestion(lang, LANGS)
}

function readContainers(
  value: unknown,
  lineAt: (p: Path) => number,
  keyLineAt: (p: Path, k: string) => number,
  problems: Located[],
): ContainerInput[] {
  const base: Path = ['topology', 'containers']
  if (value === undefined || value === null) return []
  const out: ContainerInput[] = []
  const count = Array.isArray(value) ? value.length : typeof value === 'object' ? Object.keys(value).length : 0
  if (count > MAX_CONTAINERS) {
    // Not built: each container is a namespace and a veth pair, and checking them pairwise costs.
    problems.push({ line: keyLineAt(['topology'], 'containers'), message: `this topology has ${count} containers: a lab has at most ${MAX_CONTAINERS}` })
    return out
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (typeof item === 'string') out.push({ name: item, line: lineAt([...base, i]) })
      else {
        problems.push({
          line: lineAt([...base, i]),
          message: `a container in the list is a name, not ${describe(item)} (for settings, make containers a map: box1: {ip: 172.17.0.5})`,
        })
      }
    })
    return out
  }
  if (typeof value !== 'object') {
    problems.push({
      line: lineAt(base),
      message: `containers is a list of names, e.g. [box1, box2], or a map of name → {ip, publish, command}, not ${describe(value)}`,
    })
    return out
  }
  for (const [name, settings] of Object.entries(value as Record<string, unknown>)) {
    const path = [...base, name]
    const c: ContainerInput = { name, line: keyLineAt(base, name) }
    out.push(c)
    if (settings === null || settings === undefined) continue
    const issues = checkShape(ContainerShape, settings)
    if (issues.length) {
      for (const issue of issues) problems.push(...issueProblems(issue, path, settings, lineAt, keyLineAt))
      continue
    }
    const r = settings as { ip?: string; networks?: string[]; publish?: string[]; command?: string }
    if (r.networks !== undefined) {
      c.networks = r.networks.map((name, i) => ({ name, line: lineAt([...path, 'networks', i]) }))
      c.networksLine = lineAt([...path, 'networks'])
    }
    if (r.ip !== undefined) {
      c.ip = r.ip
      c.ipLine = lineAt([...path, 'ip'])
    }
    if (r.publish !== undefined) c.publish = r.publish.map((spec, i) => ({ spec, line: lineAt([...path, 'publish', i]) }))
    if (r.command !== undefined) {
      c.command = r.command
      c.commandLine = lineAt([...path, 'command'])
    }
  }
  return out
}

/** `networks:` of the topology: a list of names, or a map of name → {subnet, icc}. */
function readNetworks(
  value: unknown,
  lineAt: (p: Path) => number,
  keyLineAt: (p: Path, k: string) => number,
  problems: Located[],
): { list: NetworkInput[]; names: string[] } | undefined {
  const base: Path = ['topology', 'networks']
  if (value === undefined || value === null) return undefined
  const list: NetworkInput[] = []
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (typeof item === 'string') list.push({ name: item, line: lineAt([...base, i]) })
      else problems.push({ line: lineAt([...base, i]), message: `a network in the list is a name, not ${describe(item)} (for settings, make networks a map: front: {subnet: 172.18.0.0/16})` })
    })
    return { list, names: list.map((n) => n.name) }
  }
  if (typeof value !== 'object') {
    problems.push({ line: lineAt(base), message: `networks is a list of names, e.g. [front, back], or a map of name → {subnet, icc}, not ${describe(value)}` })
    return { list, names: [] }
  }
  const names = Object.keys(value as object)
  for (const [name, settings] of Object.entries(value as Record<string, unknown>)) {
    const path = [...base, name]
    const n: NetworkInput = { name, line: keyLineAt(base, name) }
    if (settings !== null && settings !== undefined) {
      const issues = checkShape(NetworkShape, settings)
      if (issues.length) {
        for (const issue of issues) problems.push(...issueProblems(issue, path, settings, lineAt, keyLineAt))
        continue
      }
      const r = settings as { subnet?: string; icc?: boolean }
      if (r.subnet !== undefined) {
        n.subnet = r.subnet
        n.subnetLine = lineAt([...path, 'subnet'])
      }
      if (r.icc !== undefined) n.icc = r.icc
    }
    list.push(n)
  }
  return { list, names }
}

function reportDuplicateKeys(node: unknown, path: Path, lineOf: (o: number) => number, problems: Located[], depth = 0): void {
  if (depth > MAX_DEPTH) return
  if (isMap(node)) {
    const seen = new Map<string, number>()
    for (const pair of node.items) {
      if (isScalar(pair.key) && pair.key.range) {
        const key = String(pair.key.value)
        const line = lineOf(pair.key.range[0])
        const first = seen.get(key)
        if (first === undefined) seen.set(key, line)
        else if (path.length === 2 && path[0] === 'topology' && (path[1] === 'containers' || path[1] === 'networks')) {
          problems.push({ line, message: `two ${path[1]} are named "${key}" (the other is on line ${first})` })
        } else problems.push({ line, message: `the key "${key}" is given twice (the other is on line ${first})` })
        reportDuplicateKeys(pair.value, [...path, key], lineOf, problems, depth + 1)
      }
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => reportDuplicateKeys(item, [...path, i], lineOf, problems, depth + 1))
  }
}

/** A value as a sentence names it: "yes" (quoted), 10, a list, a map, nothing. */
function describe(v: unknown): string {
  if (v === null || v === undefined) return 'empty'
  if (typeof v === 'string') return JSON.stringify(v)
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a map'
  return String(v)
}

function pathName(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('')
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  boolean: 'true or false',
  number: 'a number',
  array: 'a list',
  object: 'a map of keys',
}

function valueAt(root: unknown, path: Path): unknown {
  let v = root
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string | number, unknown>)[p]
  }
  return v
}

function issueProblems(
  issue: ShapeIssue,
  prefix: Path,
  root: unknown,
  lineAt: (p: Path) => number,
  keyLineAt: (p: Path, k: string) => number,
): Located[] {
  const rel = issue.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number')
  const path = [...prefix, ...rel]
  if (issue.code === 'unrecognized_keys') {
    const network = path.length === 3 && path[1] === 'networks'
    const known = path.length === 0 ? KEYS.root : path.length === 1 && path[0] === 'topology' ? KEYS.topology : network ? KEYS.network : KEYS.container
    const where =
      path.length === 0 ? '' : path.length === 1 ? ` in ${path[0]}` : ` in ${network ? 'network' : 'container'} "${String(path[path.length - 1])}"`
    return issue.keys.map((key) => {
      const hint = suggestion(key, known)
      return {
        line: keyLineAt(path, key),
        message: `unknown key "${key}"${where}${hint || `; ${where ? `it takes` : 'the front matter takes'} ${known.join(', ')}`}`,
      }
    })
  }
  const value = valueAt(root, rel)
  const name = pathName(path)
  if (path.length === 1 && path[0] === 'title' && (value === undefined || value === null || (typeof value === 'string' && value.trim() === ''))) {
    // A misspelt title ("titel") is reported as such, once.
    const misspelt = value === undefined && Object.keys(root as object).some((k) => didYouMean(k, ['title']) === 'title')
    if (misspelt) return []
    return [{ line: value === undefined ? 1 : lineAt(path), message: 'the front matter needs a title, e.g. title: SNAT outbound' }]
  }
  if (path.includes('publish') && typeof path[path.length - 1] === 'number') {
    return [{ line: lineAt(path), message: `bad publish entry ${describe(value)}: write "HOST:CONTAINER", e.g. "8080:80"` }]
  }
  if (issue.code === 'invalid_type' || issue.code === 'invalid_union') {
    const expected = issue.code === 'invalid_type' ? (EXPECTED[issue.expected] ?? issue.expected) : path[0] === 'timeout' ? 'a duration such as 10s' : 'something else'
    const example = path[path.length - 1] === 'publish' ? ', e.g. ["8080:80"]' : ''
    return [{ line: lineAt(path), message: `${name} should be ${expected}${example}, not ${describe(value)}` }]
  }
  return [{ line: lineAt(path), message: `${name}: ${issue.message}` }]
}
