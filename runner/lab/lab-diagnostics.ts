// Lint's problems as editors and CI annotations read them (eslint's and
// shellcheck's JSON): file, line, column where it is known, message, and a
// rule, the kind of mistake. The parser says each problem in a sentence;
// the rule is read from the sentence and from where its line is in the lab
// (front matter or not), and the column from the word the sentence quotes.
import { readFileSync } from 'node:fs'
import type { LabProblem } from './lab-problem.js'

/** The kinds of mistake, as `rule` names them (docs/lab-format.md#mistakes-and-how-nslab-reports-them). */
export const LINT_RULES = {
  file: 'not a lab nslab can read: not UTF-8 text, empty, too big, nested too deep',
  'front-matter': 'the front matter: missing, not YAML, no title, an unknown or repeated key, a bad timeout or engine',
  topology: 'the topology: containers, bridge, addresses, published ports, internet',
  block: "a code block's info string or options: unknown role or option, a bad value, an empty or unclosed block",
  order: 'blocks in an order that cannot work: an output or a check about a step with no step before it, two solutions with one id',
  machine: 'a machine the lab does not have, in on= or in a check',
  check: 'a check line: an unknown check, its arguments, addresses, regexes',
  terminal: 'a warning: a command that waits for a terminal (a shell, an editor, ping without -c) and would hang a run',
} as const

export type LintRule = keyof typeof LINT_RULES

export interface Diagnostic {
  file: string
  line: number
  /** 1-based, in characters; null where the problem is about a whole line. */
  column: number | null
  message: string
  rule: LintRule
  severity: 'error' | 'warning'
}

const FILE = /^not a text file|^cannot read it|could not read this file|^empty file|^the lab is .*MiB|no step, setup, solution, output or check block|nests lists and quotes|^more than \d+ problems/
const FRONT = /^unknown key|^the key "|^unknown engine|^bad timeout: |^the summary/
const BLOCK =
  /^this code block is never closed|^this block is|^this info string|^bad info string|needs a language before its role|^options need a role|block has no language|^an output block takes no options|^unknown option "|is given twice$|takes no value|needs a value: write|^bad exit=|^bad timeout=|^bad id |^id= names|^unknown role|^this \w+ is empty|^this check block has no checks/
const ORDER = /^an output block|is about the step before it|^two solutions have the id/

/** Every problem as a diagnostic; each file is read once, to place the problems in it. */
export function labDiagnostics(problems: readonly LabProblem[], read: (file: string) => string = readText): Diagnostic[] {
  const texts = new Map<string, string[]>()
  const linesOf = (file: string) => {
    let lines = texts.get(file)
    if (!lines) texts.set(file, (lines = read(file).replace(/^\uFEFF/, '').split(/\r?\n/)))
    return lines
  }
  return problems.map((p) => {
    const lines = linesOf(p.file)
    return { file: p.file, line: p.line, column: columnOf(p, lines), message: p.message, rule: ruleOf(p, lines), severity: 'error' }
  })
}

/** The kind of a problem. */
export function ruleOf(p: LabProblem, lines: readonly string[]): LintRule {
  const m = p.message
  if (/^unknown machine /.test(m)) return 'machine'
  if (FILE.test(m)) return 'file'
  if (/front matter/.test(m)) return 'front-matter'
  const front = frontMatterLines(lines)
  if (front && p.line >= 1 && p.line <= front.end) {
    const t = front.topology
    return t !== undefined && p.line >= t.start && p.line < t.end ? 'topology' : 'front-matter'
  }
  if (FRONT.test(m)) return 'front-matter'
  if (BLOCK.test(m)) return 'block'
  if (ORDER.test(m)) return 'order'
  return 'check'
}

/** Where the front matter ends, and its topology key's lines (1-based, end excluded), if it has them. */
function frontMatterLines(lines: readonly string[]): { end: number; topology?: { start: number; end: number } } | undefined {
  if (lines[0]?.trimEnd() !== '---') return undefined
  let topology: { start: number; end: number } | undefined
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!
    if (l.trimEnd() === '---') return { end: i + 1, ...(topology !== undefined ? { topology } : {}) }
    // A top-level key after topology (sysctl, kernel) ends it.
    if (topology && topology.end > i + 1 && /^[^\s#]/.test(l)) topology.end = i + 1
    if (/^topology\s*:/.test(l)) topology = { start: i + 1, end: Number.POSITIVE_INFINITY }
  }
  return undefined
}

/** The column of the first word the message quotes, when its line holds it. */
function columnOf(p: LabProblem, lines: readonly string[]): number | null {
  const quoted = /"([^"\n]+)"/.exec(p.message)?.[1]
  const line = lines[p.line - 1]
  if (quoted === undefined || line === undefined) return null
  const at = line.indexOf(quoted)
  return at < 0 ? null : [...line.slice(0, at)].length + 1
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
