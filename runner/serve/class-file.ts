// The class file of `nslab serve --workshop CLASS.yaml`: the labs of the
// session and its learners (names, or a count of anonymous seats), and the
// limits of each learner's lab hosts. Read as a lab's front matter is
// (yaml keeping each node's offset, check-shape for the keys), so that every
// problem is said at its file:line.
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml'
import { checkShape, type Shape } from '../lab/check-shape.js'
import type { LabLimits } from '../host/lab-limits.js'
import { suggestion } from '../util/did-you-mean.js'
import { NslabError } from '../util/nslab-error.js'
import { lookUpLab } from './served-labs.js'

export interface ClassFile {
  /** Absolute path of the class file. */
  file: string
  title: string
  /** Absolute paths of the labs, in the file's order. */
  labs: string[]
  /** Learners' names: given, or seat-01 … for a count. */
  learners: string[]
  /** Limits of each lab host of each learner (its shells share a set of their own). */
  limits: LabLimits
}

/** What a learner's lab host gets unless the class file says otherwise: a share of a 2-core machine for 30. */
export const WORKSHOP_LIMITS: LabLimits = { maxProcs: 256, memoryBytes: 512 * 1024 ** 2, cpus: 0.5 }
/** More learners than this on one machine is a mistake (and more than it can hold): shard the class. */
export const MAX_LEARNERS = 200
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/
const KEYS = ['title', 'labs', 'learners', 'limits']
const LIMIT_KEYS = ['procs', 'memory', 'cpus']

const ClassShape: Shape = {
  type: 'map',
  fields: {
    title: { type: 'string', optional: true },
    labs: { type: 'array', of: { type: 'string', nonEmpty: true } },
    learners: { type: 'union', of: [{ type: 'array', of: { type: 'string' } }, { type: 'number' }] },
    limits: {
      type: 'map',
      optional: true,
      fields: { procs: { type: 'number', optional: true }, memory: { type: 'union', of: [{ type: 'string' }, { type: 'number' }], optional: true }, cpus: { type: 'number', optional: true } },
    },
  },
}

interface Problem {
  line: number
  message: string
}

/** Read and check a class file; every problem at once, each at its line, in one NslabError. */
export function readClassFile(path: string, cwd = process.cwd()): ClassFile {
  const file = resolve(cwd, path)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new NslabError({ code: 'NOT_FOUND', message: `no class file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` })
  }
  const got = parseClassText(text, file)
  if ('problems' in got) {
    const first = got.problems[0]!
    throw new NslabError({
      code: 'USAGE',
      message: `invalid class file:\n${got.problems.map((p) => `${file}:${p.line}: ${p.message}`).join('\n')}`,
      file,
      line: first.line,
    })
  }
  return got
}

/** The class file's text checked; labs are looked up next to the file. */
export function parseClassText(text: string, file: string): ClassFile | { problems: Problem[] } {
  const problems: Problem[] = []
  if (text.length > 256 * 1024) return { problems: [{ line: 1, message: 'a class file is a few lines; this one is over 256 KB' }] }
  const lc = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false })
  const lineOf = (offset: number) => lc.linePos(offset).line
  for (const err of doc.errors) problems.push({ line: lineOf(err.pos[0]), message: `not valid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` })
  if (problems.length) return { problems }
  const data: unknown = doc.toJS({ maxAliasCount: 100 })
  const nodeAt = (path: (string | number)[]): Node | undefined => {
    const n = path.length === 0 ? doc.contents : doc.getIn(path, true)
    return n && typeof n === 'object' && 'range' in n ? (n as Node) : undefined
  }
  const lineAt = (path: (string | number)[]): number => {
    for (let p = path; ; p = p.slice(0, -1)) {
      const n = nodeAt(p)
      if (n?.range) return lineOf(n.range[0])
      if (p.length === 0) return 1
    }
  }
  const keyLine = (mapPath: (string | number)[], key: string): number => {
    const map = nodeAt(mapPath)
    if (isMap(map)) for (const pair of map.items) if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) return lineOf(pair.key.range[0])
    return lineAt(mapPath)
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { problems: [{ line: 1, message: 'a class file is keys and values: labs: [snat-outbound] and learners: [ada, bob] (or learners: 30)' }] }
  }
  for (const issue of checkShape(ClassShape, data)) {
    const path = issue.path
    const where = path.length ? path.join('.') : 'the class file'
    if (issue.code === 'unrecognized_keys') {
      const known = path.length === 0 ? KEYS : LIMIT_KEYS
      for (const k of issue.keys) problems.push({ line: keyLine(path, k), message: `unknown key "${k}" in ${where}${suggestion(k, known) || `; it may have ${known.join(', ')}`}` })
    } else if (issue.code === 'invalid_type') {
      const missing = path.length === 1 && (data as Record<string, unknown>)[path[0] as string] === undefined
      problems.push({ line: lineAt(path), message: missing ? `${where} is missing: ${path[0] === 'labs' ? 'labs: [snat-outbound] (bundled names or paths)' : 'learners: [ada, bob] or learners: 30'}` : `${where} should be a ${issue.expected === 'object' ? 'map of keys' : issue.expected}` })
    } else if (issue.code === 'invalid_union' && path.length === 1 && (data as Record<string, unknown>)[path[0] as string] === undefined) {
      problems.push({ line: 1, message: `${where} is missing: learners: [ada, bob] or learners: 30` })
    } else if (issue.code === 'invalid_union') {
      problems.push({ line: lineAt(path), message: path[0] === 'learners' ? 'learners is a list of names, [ada, bob], or a number of seats, 30' : `${where} should be a size like 512M or 1G` })
    } else problems.push({ line: lineAt(path), message: `${where} ${issue.message}` })
  }
  if (problems.length) return { problems: problems.sort((a, b) => a.line - b.line) }
  const raw = data as { title?: string; labs: string[]; learners: string[] | number; limits?: { procs?: number; memory?: string | number; cpus?: number } }

  const labs: string[] = []
  raw.labs.forEach((name, i) => {
    try {
      const found = lookUpLab(name, dirname(file))
      if (labs.includes(found)) problems.push({ line: lineAt(['labs', i]), message: `${name} is named twice` })
      else labs.push(found)
    } catch {
      problems.push({ line: lineAt(['labs', i]), message: `no such lab: ${name} (a path from the class file's folder, or the name of one of nslab's labs)` })
    }
  })
  if (raw.labs.length === 0) problems.push({ line: lineAt(['labs']), message: 'labs is empty: name at least one' })

  let learners: string[] = []
  if (typeof raw.learners === 'number') {
    const n = raw.learners
    if (!Number.isInteger(n) || n < 1 || n > MAX_LEARNERS) problems.push({ line: lineAt(['learners']), message: `learners: a whole number of seats from 1 to ${MAX_LEARNERS}, not ${n} (more than that: shard the class across machines)` })
    else learners = Array.from({ length: n }, (_, i) => `seat-${String(i + 1).padStart(String(n).length < 2 ? 2 : String(n).length, '0')}`)
  } else {
    if (raw.learners.length === 0) problems.push({ line: lineAt(['learners']), message: 'learners is empty: name at least one, or give a number of seats' })
    if (raw.learners.length > MAX_LEARNERS) problems.push({ line: lineAt(['learners']), message: `${raw.learners.length} learners: at most ${MAX_LEARNERS} on one machine (shard the class across machines)` })
    raw.learners.forEach((name, i) => {
      if (!NAME.test(name)) problems.push({ line: lineAt(['learners', i]), message: `"${name}" is not a name nslab can use in a link: letters, digits, - _ . (at most 40, a letter or digit first)` })
      else if (name.toLowerCase() === 'instructor') problems.push({ line: lineAt(['learners', i]), message: '"instructor" is the instructor\'s link: give the learner another name' })
      else if (learners.some((l) => l.toLowerCase() === name.toLowerCase())) problems.push({ line: lineAt(['learners', i]), message: `${name} is named twice` })
      else learners.push(name)
    })
  }

  const limits: LabLimits = { ...WORKSHOP_LIMITS }
  const l = raw.limits ?? {}
  if (l.procs !== undefined) {
    if (!Number.isInteger(l.procs) || l.procs < 16) problems.push({ line: lineAt(['limits', 'procs']), message: `limits.procs: a whole number ≥ 16, not ${l.procs}` })
    else limits.maxProcs = l.procs
  }
  if (l.memory !== undefined) {
    const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(String(l.memory).trim())
    const bytes = m ? Math.round(Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g']) : NaN
    if (!(bytes >= 64 * 1024 ** 2)) problems.push({ line: lineAt(['limits', 'memory']), message: `limits.memory: a size of at least 64M, like 512M or 1G, not ${l.memory}` })
    else limits.memoryBytes = bytes
  }
  if (l.cpus !== undefined) {
    if (!(l.cpus > 0)) problems.push({ line: lineAt(['limits', 'cpus']), message: `limits.cpus: a number of CPUs above 0, like 0.5, not ${l.cpus}` })
    else limits.cpus = l.cpus
  }
  if (problems.length) return { problems: problems.sort((a, b) => a.line - b.line) }
  const title = raw.title?.trim() || 'Workshop'
  return { file, title, labs, learners, limits }
}
