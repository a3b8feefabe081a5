// Mutates real labs at random and checks that parseLab always answers with a
// lab or with problems: no exception, no hang, no internal error, and lines
// that exist. FUZZ_CASES and FUZZ_SEED override the defaults; a failure
// writes the input that caused it to a file and names that file.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parseLab } from '../../runner/lab/parse-lab.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const CASES = Number(process.env.FUZZ_CASES ?? 3000)
const SEED = Number(process.env.FUZZ_SEED ?? 20_251_127)
/** Far above the worst case seen (tens of ms): only a hang trips it. */
const HANG_MS = 5000

function mdFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md')
      .sort()
      .map((f) => join(dir, f))
  } catch {
    return []
  }
}

// The shipped labs first; the contract's example and the valid fixtures always.
const seeds = [...mdFiles(join(root, 'labs')), ...mdFiles(join(root, 'test/fixtures/labs/valid'))]
  .map((f) => ({ file: f, text: readFileSync(f, 'utf8') }))
  .filter((s) => parseLab(s.text, s.file).lab)

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const rand = mulberry32(SEED)
const int = (n: number) => Math.floor(rand() * n)
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!

const WORDS = [
  '```', '````', '~~~', '```sh step', '```check', '```output', '```sh solution', '```sh setup', '---', '...', '> ', '- ', '1. ',
  'ping', 'pnig', 'no', 'http', 'rule', 'policy', 'addr', 'route', 'via', 'sysctl', 'netns', 'exit', 'stdout', 'sh', 'box1', 'box2',
  'internet', 'host', 'on=box1', 'on=', 'exit=any', 'timeout=5s', 'timeout=x', 'background', 'id=a', 'hint="', 'within=1s',
  'status=200', 'contains="', 'min-packets=1', '172.17.0.0/33', '300.1.1.1', '"', "'", '\\', '/', '/a(/', '=', '#', '\t', '  ',
  'title:', 'topology:', 'docker: true', 'containers: [box1, box1]', 'ip: 1', '{', '[', ']', '&a', '*a', '!', ':', '<details>',
  'constructor', '__proto__', 'toString', '1constructor', '\u00e9', '\u200b', '\ud83d\ude00', '\r', '\0',
  'conntrack', 'tcp', 'src=box1', 'reply-dst=bxo1', 'state=ESTABLISHD', 'dport=80', '--dport', 'assured', '[ASSURED]', 'zone=constructor',
]

type Mutation = (lines: string[]) => string[]

const mutations: Record<string, Mutation> = {
  cut(lines) {
    const a = int(lines.length)
    return [...lines.slice(0, a), ...lines.slice(a + 1 + int(8))]
  },
  duplicate(lines) {
    const a = int(lines.length)
    const chunk = lines.slice(a, a + 1 + int(10))
    const at = int(lines.length + 1)
    return [...lines.slice(0, at), ...chunk, ...lines.slice(at)]
  },
  swap(lines) {
    const out = [...lines]
    const a = int(out.length)
    const b = int(out.length)
    ;[out[a], out[b]] = [out[b]!, out[a]!]
    return out
  },
  nest(lines) {
    // Deep nesting: quotes, bullets or indentation in front of a run of lines.
    const depth = 1 + int(rand() < 0.2 ? 200 : 12)
    const prefix = pick(['> ', '>', '- ', '* ', '1. ', '  ', '   - ', '> - ']).repeat(depth)
    const a = int(lines.length)
    const n = 1 + int(20)
    return lines.map((l, i) => (i >= a && i < a + n ? prefix + l : l))
  },
  staircase(lines) {
    const depth = 1 + int(80)
    const at = int(lines.length + 1)
    const stairs = Array.from({ length: depth }, (_, i) => `${' '.repeat(2 * i)}- item`)
    return [...lines.slice(0, at), ...stairs, ...lines.slice(at)]
  },
  word(lines) {
    const out = [...lines]
    const i = int(out.length)
    const l = out[i] ?? ''
    const at = int(l.length + 1)
    out[i] = l.slice(0, at) + pick(WORDS) + l.slice(at + (rand() < 0.5 ? 0 : int(6)))
    return out
  },
  line(lines) {
    const at = int(lines.length + 1)
    const l = Array.from({ length: 1 + int(6) }, () => pick(WORDS)).join(rand() < 0.5 ? ' ' : '')
    return [...lines.slice(0, at), l, ...lines.slice(at)]
  },
  longLine(lines) {
    const at = int(lines.length + 1)
    const palette = '*_[]()<>`~\\ -#>|!"\'a='
    let l = ''
    const n = 1000 + int(50_000)
    for (let i = 0; i < n; i++) l += palette[int(palette.length)]
    return [...lines.slice(0, at), l, ...lines.slice(at)]
  },
  truncate(lines) {
    return lines.slice(0, int(lines.length + 1))
  },
}

/** Byte-level mutations, after the line-level ones. */
function mutateBytes(text: string): string | Uint8Array {
  const r = rand()
  if (r < 0.1) {
    const b = Buffer.from(text, 'utf8')
    for (let k = 1 + int(4); k > 0 && b.length > 0; k--) {
      const i = int(b.length)
      b[i] = b[i]! ^ (1 << int(8))
    }
    return b
  }
  if (r < 0.15) return Buffer.from(text, 'utf8').subarray(0, int(Buffer.byteLength(text) + 1))
  if (r < 0.2) return text.replace(/\n/g, '\r\n')
  if (r < 0.25) return '\ufeff' + text
  return text
}

const names = Object.keys(mutations)

t.test(`${CASES} mutated labs from ${seeds.length} seeds (seed ${SEED})`, async (t) => {
  t.ok(seeds.length >= 3, 'there are labs to mutate')
  const failures: string[] = []
  let labs = 0
  let maxMs = 0
  const dir = mkdtempSync(join(tmpdir(), 'nslab-fuzz-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (let c = 0; c < CASES && failures.length < 5; c++) {
    const seed = pick(seeds)
    let lines = seed.text.split('\n')
    const applied: string[] = []
    for (let k = 1 + int(3); k > 0; k--) {
      const name = pick(names)
      applied.push(name)
      lines = mutations[name]!(lines)
    }
    const input = mutateBytes(lines.join('\n'))
    const lineCount = (typeof input === 'string' ? input : Buffer.from(input).toString('latin1')).split(/\r\n?|\n/).length
    const fail = (why: string) => {
      const f = join(dir, `case-${c}.md`)
      writeFileSync(f, input)
      failures.push(`case ${c} (${applied.join(', ')} on ${seed.file}): ${why}; input in ${f}`)
    }
    const start = performance.now()
    let r: ReturnType<typeof parseLab>
    try {
      r = parseLab(input, 'fuzz.md')
    } catch (e) {
      fail(`threw ${(e as Error).stack}`)
      continue
    }
    const ms = performance.now() - start
    maxMs = Math.max(maxMs, ms)
    if (ms > HANG_MS) fail(`took ${Math.round(ms)} ms`)
    if (!r || !Array.isArray(r.problems)) {
      fail('no result')
      continue
    }
    if ((r.lab !== undefined) === r.problems.length > 0) fail('a lab and problems at once, or neither')
    for (const p of r.problems) {
      if (p.file !== 'fuzz.md' || !Number.isInteger(p.line) || p.line < 1 || p.line > lineCount || typeof p.message !== 'string' || p.message === '') {
        fail(`bad problem ${JSON.stringify(p)} (file has ${lineCount} lines)`)
      }
      if (p.message.includes('please report')) fail(`internal error: ${p.message}`)
    }
    if (r.lab) {
      labs++
      let last = 0
      for (const b of r.lab.blocks) {
        if (b.line <= last || b.contentLine !== b.line + 1 || b.line > lineCount) fail(`block lines out of order at ${b.line}`)
        last = b.line
        if (b.kind === 'check') {
          for (const ch of b.checks) {
            if (ch.line < b.contentLine || ch.line >= b.contentLine + b.content.split('\n').length) fail(`check line ${ch.line} outside its block ${b.line}`)
          }
        }
      }
    }
  }
  t.same(failures, [], 'parseLab answered every case with a lab or problems')
  t.comment(`${labs} of ${CASES} mutants still valid labs; slowest parse ${maxMs.toFixed(1)} ms`)
})

t.test('the lines of blocks are the lines of their fences in the file', async (t) => {
  // On every seed: the fence line holds the info string, and each content
  // line ends the file's line (containers' markers and indentation aside).
  for (const s of seeds) {
    const lab = parseLab(s.text, s.file).lab!
    const lines = s.text.replace(/^\ufeff/, '').split(/\r?\n/)
    for (const b of lab.blocks) {
      t.ok(lines[b.line - 1]!.includes(b.info), `${s.file}:${b.line} holds "${b.info}"`)
      b.content.split('\n').forEach((c, i) => {
        if (!lines[b.contentLine - 1 + i]!.endsWith(c)) t.fail(`${s.file}:${b.contentLine + i} is not "${c}"`)
      })
    }
  }
})
