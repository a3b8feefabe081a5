// A lab file → a typed Lab, or every problem in it as file:line: message.
// Never throws: a lab author sees sentences, not stack traces.

import type { Block, Check, CheckBlock, Lab, OutputBlock, ScriptBlock, ShownBlock } from './lab.js'
import { machinesOf } from './lab.js'
import type { LabProblem } from './lab-problem.js'
import type { Located } from './build-topology.js'
import { decodeLabText } from './decode-lab-text.js'
import { imageProblems } from './docker-images.js'
import { suggestion } from '../util/did-you-mean.js'
import { findCodeBlocks, type FencedBlock } from './find-code-blocks.js'
import { DEFAULT_TIMEOUT_MS, readFrontMatter } from './front-matter.js'
import { LineIndex } from './line-index.js'
import { parseCheck } from './parse-check.js'
import { parseInfo } from './parse-info.js'
import { labSizeProblem, MAX_BLOCK_BYTES, MAX_INFO_LENGTH, MAX_NESTING, MAX_PROBLEMS, mebibytes } from './lab-text-limits.js'
import { tooDeep } from './nesting-depth.js'
import { madeNamespaces } from './made-namespaces.js'
import { labWarnings } from './lab-warnings.js'

export interface ParseLabResult {
  /** Set only when problems is empty. */
  lab?: Lab
  problems: LabProblem[]
  /** What is allowed but likely not meant (an interactive command in a step …): the lab still runs. */
  warnings: LabProblem[]
}

export function parseLab(text: string | Uint8Array, file: string): ParseLabResult {
  try {
    return parse(text, file)
  } catch (e) {
    // A bug of nslab, not of the lab: still one line, never a stack trace.
    return { problems: [{ file, line: 1, message: `nslab could not read this file (${(e as Error)?.message ?? e}); please report it` }], warnings: [] }
  }
}

function parse(input: string | Uint8Array, file: string): ParseLabResult {
  const tooBig = labSizeProblem(typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length)
  if (tooBig) return { problems: [{ file, line: 1, message: tooBig }], warnings: [] }
  const decoded = decodeLabText(input)
  if (!('text' in decoded)) return { problems: [{ file, line: decoded.line, message: decoded.message }], warnings: [] }
  const text = decoded.text
  if (!/\S/.test(text)) {
    return { problems: [{ file, line: 1, message: 'empty file: a lab needs front matter (a line ---, title: …, a line ---) and at least one block' }], warnings: [] }
  }
  const index = new LineIndex(text)
  const problems: Located[] = []
  const front = readFrontMatter(text, index)
  problems.push(...front.problems)
  const meta = front.meta
  const labTimeout = meta?.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const machines = meta ? machinesOf(meta.topology) : undefined

  const blocks: Block[] = []
  /** Arguments of checks that name machines, looked up once the topology is known. */
  const named: NamedMachine[] = []
  let epilogue = ''
  /** The line of the first block not read, when there were too many problems to go on. */
  let stoppedAt: number | undefined
  const bodyOffset = front.bodyOffset
  if (bodyOffset !== undefined) {
    const deep = tooDeep(text, bodyOffset, index)
    if (deep) {
      problems.push({ line: deep.line, message: `this line nests lists and quotes ${deep.depth} deep: a lab nests at most ${MAX_NESTING}` })
    } else {
      const fenced = findCodeBlocks(text, bodyOffset, index)
      let proseStart = bodyOffset
      for (const f of fenced) {
        if (problems.length >= MAX_PROBLEMS) {
          // A file this wrong is not worth reading to its end, nor a list of all it gets wrong.
          stoppedAt = f.line
          break
        }
        const prose = text.slice(proseStart, Math.max(proseStart, f.start))
        proseStart = Math.max(proseStart, f.end)
        const block = readBlock(f, prose, labTimeout, problems, named)
        if (block) blocks.push(block)
      }
      epilogue = text.slice(Math.min(proseStart, text.length))
    }
  }

  checkBlocksInContext(blocks, named, machines, problems)
  problems.push(...imageProblems(blocks))

  if (meta && problems.length === 0 && blocks.every((b) => b.kind === 'shown')) {
    problems.push({ line: 1, message: 'this lab has no step, setup, solution, output or check block: nothing would run' })
  }

  problems.sort((a, b) => a.line - b.line)
  if (stoppedAt !== undefined || problems.length > MAX_PROBLEMS) {
    problems.length = Math.min(problems.length, MAX_PROBLEMS)
    const line = stoppedAt ?? problems[problems.length - 1]!.line
    problems.push({ line, message: `more than ${MAX_PROBLEMS} problems: nslab stopped reading the lab here; fix the ones above first` })
  }
  const out = problems.map((p) => ({ file, line: p.line, message: p.message }))
  const warnings = stoppedAt === undefined ? labWarnings(blocks).map((w) => ({ file, line: w.line, message: w.message, severity: 'warning' as const })) : []
  if (out.length > 0 || !meta) return { problems: out, warnings }
  const lab: Lab = {
    file,
    title: meta.title,
    engine: meta.engine,
    lang: meta.lang,
    timeoutMs: meta.timeoutMs,
    topology: meta.topology,
    blocks,
    epilogue,
  }
  if (meta.summary !== undefined) lab.summary = meta.summary
  if (meta.kernel) lab.kernel = meta.kernel
  return { lab, problems: [], warnings }
}

interface NamedMachine {
  name: string
  line: number
}

function readBlock(f: FencedBlock, prose: string, labTimeout: number, problems: Located[], named: NamedMachine[]): Block | undefined {
  if (!f.closed) {
    problems.push({ line: f.line, message: `this code block is never closed: add a line ${f.fence} after its last line` })
    return undefined
  }
  const bytes = f.content.length > MAX_BLOCK_BYTES / 3 ? Buffer.byteLength(f.content, 'utf8') : 0
  if (bytes > MAX_BLOCK_BYTES) {
    // Not read further: a block this big is a mistake, and what it holds would only add problems.
    problems.push({ line: f.line, message: `this block is ${mebibytes(bytes, MAX_BLOCK_BYTES)}: a block is at most 1 MiB` })
    return undefined
  }
  if (f.info.length > MAX_INFO_LENGTH) {
    problems.push({ line: f.line, message: `this info string is ${f.info.length} characters: an info string is a language, a role and a few options, at most ${MAX_INFO_LENGTH} characters` })
    return undefined
  }
  const info = parseInfo(f.info, f.fence, f.infoColumn)
  for (const p of info.problems) problems.push({ line: f.line, message: p })
  // Literals, not spreads of a common base: spreads cost, and blocks can be many.
  const line = f.line
  const contentLine = f.line + 1
  const content = f.content
  switch (info.kind) {
    case 'shown': {
      const b: ShownBlock = { kind: 'shown', line, contentLine, info: f.info, content, prose, lang: info.lang }
      return b
    }
    case 'script': {
      const role = info.role!
      if (!/\S/.test(content)) problems.push({ line, message: `this ${role} is empty: write the commands it runs` })
      const b: ScriptBlock = {
        kind: 'script',
        line,
        contentLine,
        info: f.info,
        content,
        prose,
        role,
        lang: info.lang,
        on: info.on ?? 'host',
        exit: info.exit ?? 0,
        timeoutMs: info.timeoutMs ?? labTimeout,
        background: info.background,
      }
      if (info.id !== undefined) b.id = info.id
      return b
    }
    case 'output': {
      const b: OutputBlock = { kind: 'output', line, contentLine, info: f.info, content, prose, lines: content === '' ? [] : content.split('\n') }
      return b
    }
    case 'check': {
      const checks: Check[] = []
      const lines = content.split('\n')
      let written = false
      for (let i = 0; i < lines.length && problems.length < MAX_PROBLEMS; i++) {
        const l = lines[i]!
        const t = l.trim()
        if (t === '' || t.startsWith('#')) continue
        written = true
        const r = parseCheck(l, contentLine + i)
        if (r.problem !== undefined) problems.push({ line: contentLine + i, message: r.problem })
        else if (r.check) {
          checks.push(r.check)
          for (const a of r.machineArgs) named.push({ name: r.check.args[a]!, line: r.check.line })
          for (const k of r.machineOptions ?? []) named.push({ name: r.check.options[k]!, line: r.check.line })
        }
      }
      if (!written && problems.length < MAX_PROBLEMS) problems.push({ line, message: 'this check block has no checks: write one a line, e.g. ping box1 box2' })
      const b: CheckBlock = { kind: 'check', line, contentLine, info: f.info, content, prose, checks }
      if (info.hint !== undefined) b.hint = info.hint
      if (info.after !== undefined) b.after = info.after
      return b
    }
  }
}

/** What depends on more than one block, or on the topology. */
function checkBlocksInContext(blocks: Block[], named: NamedMachine[], machines: string[] | undefined, problems: Located[]): void {
  // A network namespace the lab's scripts make by name is a machine too, from when it exists.
  const made = [...madeNamespaces(blocks).keys()].filter((n) => !machines?.includes(n))
  const knownMachine = (name: string, line: number, what: string) => {
    if (!machines || machines.includes(name) || made.includes(name)) return
    const all = [...machines, ...made]
    problems.push({
      line,
      message: `unknown machine "${name}"${what}${suggestion(name, all) || `; this lab has ${all.join(', ')}${made.length ? '' : ' (and any network namespace its steps make with ip netns add)'}`}`,
    })
  }
  for (const n of named) knownMachine(n.name, n.line, '')
  let lastScript: ScriptBlock | undefined
  const ids = new Map<string, { line: number; role: string }>()
  /** The ids of steps and solutions before the block being read. */
  const earlier: string[] = []
  let solutions = 0
  for (const b of blocks) {
    if (b.kind === 'script') {
      knownMachine(b.on, b.line, ' in on=')
      if (b.role === 'solution') {
        solutions++
        b.id ??= `exercise-${solutions}`
      }
      if (b.id !== undefined) {
        const id = b.id
        const other = ids.get(id)
        if (other !== undefined) {
          const both = other.role === b.role ? `two ${b.role}s have` : `a ${other.role} and a ${b.role} have`
          problems.push({ line: b.line, message: `${both} the id "${id}" (the other is on line ${other.line}): give each its own id=` })
        } else ids.set(id, { line: b.line, role: b.role })
        earlier.push(id)
      }
      lastScript = b
    } else if (b.kind === 'output') {
      if (!lastScript) problems.push({ line: b.line, message: 'an output block shows what the step before it prints, but no step comes before it' })
      else if (lastScript.background) {
        problems.push({ line: b.line, message: `an output block cannot follow a background step (line ${lastScript.line}): it is still running` })
      }
    } else if (b.kind === 'check') {
      if (b.after !== undefined && !earlier.includes(b.after)) {
        const after = b.after
        const later = blocks.find((x): x is ScriptBlock => x.kind === 'script' && x.id === after && x.line > b.line)
        problems.push({
          line: b.line,
          message: later
            ? `after=${after} names the ${later.role} on line ${later.line}, which comes after this check block: after= names a step before it`
            : `after=${b.after} names no step before this check block${suggestion(b.after, earlier) || (earlier.length ? `; the steps before it with an id= are ${earlier.join(', ')}` : '; give that step an id=, e.g. ```sh step id=' + b.after)}`,
        })
      }
      for (const c of b.checks) {
        if ((c.verb === 'exit' || c.verb === 'stdout') && !lastScript) {
          problems.push({ line: c.line, message: `${c.verb} is about the step before it, but no step comes before this check` })
        }
      }
    }
  }
}
