// Adversarial inputs of several MB for every public entry point that reads
// lab text or a command's output: long lines, long runs of one character,
// deep nesting, many blocks. Each case returns a short outcome (what the
// entry point answered), so that a case that "finishes" by crashing shows.
// Run by test/bounded-input.test.ts, one child process at a time, each case
// timed against a bound: see test/helpers/run-adversarial.ts.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Check, CheckBlock, Lab, ScriptBlock } from '../../runner/lab/lab.js'
import type { ExecResult } from '../../runner/host/exec-result.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { lint } from '../../runner/lab/lint.js'
import { matchOutput } from '../../runner/run/match-output.js'
import { oneLine, plainText } from '../../runner/util/plain-text.js'
import { programsOfLab } from '../../runner/run/programs-of-lab.js'
import { MAX_MARKDOWN, renderMarkdown } from '../../runner/report/render-markdown.js'
import { labProse } from '../../runner/learn/lab-prose.js'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { parseInfo } from '../../runner/lab/parse-info.js'
import { splitWords } from '../../runner/lab/split-words.js'
import { describeBlock } from '../../runner/lab/describe-block.js'
import { decodeLabText } from '../../runner/lab/decode-lab-text.js'
import { parseCurl } from '../../checks/parse-curl.js'
import { parseIpAddr } from '../../checks/parse-ip-addr.js'
import { parseIpLink } from '../../checks/parse-ip-link.js'
import { parseIpRoute } from '../../checks/parse-ip-route.js'
import { parseIptablesSave } from '../../checks/parse-iptables-save.js'
import { parseNetnsList } from '../../checks/parse-netns-list.js'
import { parsePing } from '../../checks/parse-ping.js'
import { parseSysctl } from '../../checks/parse-sysctl.js'
import { stdoutProbe } from '../../checks/stdout.js'

const MiB = 1024 * 1024
/** A lab just under the 10 MiB limit. */
const LAB = Math.round(Number(process.env.BOUNDED_LAB_MB ?? 9) * MiB)
/** Command output: what a step or a check may print. */
const OUT = Math.round(Number(process.env.BOUNDED_OUT_MB ?? 4) * MiB)

const FM = '---\ntitle: adversarial\ntopology:\n  docker: true\n  containers: [box1, box2]\n---\n\n'
const STEP = '\n```sh step\ntrue\n```\n'

/** `unit` repeated to about `size` characters. */
const fill = (unit: string, size: number) => unit.repeat(Math.max(1, Math.floor(size / unit.length)))

/** A lab of FM, `body` and a step; the body sized to make the lab about LAB long. */
const labOf = (unit: string, size = LAB - FM.length - STEP.length) => FM + fill(unit, size) + STEP

/** A seeded stream of pseudo-random numbers, so that every run sees the same input. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** `size` characters drawn from `palette`: 64 KB of them, repeated (drawing millions takes seconds). */
function noise(palette: string, size: number, seed: number): string {
  const r = random(seed)
  const parts: string[] = []
  for (let i = 0; i < Math.min(size, 65536); i++) parts.push(palette[Math.floor(r() * palette.length)]!)
  return fill(parts.join(''), size)
}

/** What parseLab answered, in a few words; a crash or an internal error shows as such. */
function parsed(input: string | Uint8Array): string {
  const r = parseLab(input, 'adversarial.md')
  const internal = r.problems.find((p) => /ran out of stack|could not read this file|RangeError|Maximum call stack/i.test(p.message))
  if (internal) throw new Error(`internal problem: ${internal.message.slice(0, 200)}`)
  if (r.lab) return `lab of ${r.lab.blocks.length} blocks`
  return `${r.problems.length} problems, first: line ${r.problems[0]!.line}: ${r.problems[0]!.message.slice(0, 120)}`
}

function rendered(md: string): string {
  const out = renderMarkdown(md, { color: true, width: 80 })
  return `${out.length} characters`
}

const exec = (stdout: string): ExecResult => ({
  machine: 'host',
  command: 'true',
  exitCode: 0,
  stdout,
  stderr: '',
  output: stdout,
  durationMs: 1,
  timedOut: false,
})

function labWithScript(content: string): Lab {
  const step: ScriptBlock = {
    kind: 'script',
    line: 1,
    contentLine: 2,
    info: 'sh step',
    content,
    prose: '',
    role: 'step',
    lang: 'sh',
    on: 'host',
    exit: 0,
    timeoutMs: 1000,
    background: false,
  }
  return {
    file: 'x.md',
    title: 'x',
    engine: 'netns',
    timeoutMs: 1000,
    topology: { docker: false, containers: [], internet: false },
    blocks: [step],
    epilogue: '',
  }
}

async function stdoutCheck(line: string, stdout: string): Promise<string> {
  const r = parseCheck(line, 1)
  if (!r.check) return `refused: ${r.problem}`
  const p = await stdoutProbe(r.check, { lab: labWithScript('true'), exec: async () => exec(''), addressOf: () => undefined, look: async () => { throw new Error('stdout looks at nothing') }, netnsNames: async () => { throw new Error('stdout looks at nothing') }, previous: exec(stdout) })
  return `holds=${p.holds}${p.invalid ? ' invalid' : ''}`
}

function checkBlockOf(check: Check): CheckBlock {
  return { kind: 'check', line: 1, contentLine: 2, info: 'check', content: check.source, prose: '', checks: [check] }
}

export interface AdversarialCase {
  name: string
  run: () => string | Promise<string>
}

/** Deeply nested lists: each item one level in from the one before, as far as LAB allows. */
function staircase(): string {
  const lines: string[] = []
  let size = 0
  for (let i = 0; size < LAB - 1000; i++) {
    const l = `${' '.repeat(2 * i)}- item`
    lines.push(l)
    size += l.length + 1
  }
  return FM + lines.join('\n') + STEP
}

export const CASES: AdversarialCase[] = [
  // ── parseLab: long lines and long runs of one character ─────────────────
  { name: 'parseLab: one long line of letters', run: () => parsed(labOf('a')) },
  { name: 'parseLab: one long line of words', run: () => parsed(labOf('word ')) },
  { name: 'parseLab: a long run of spaces inside a line', run: () => parsed(`${FM}x${fill(' ', LAB - 200)}x${STEP}`) },
  { name: 'parseLab: a long run of tabs', run: () => parsed(`${FM}x${fill('\t', LAB - 200)}x${STEP}`) },
  { name: 'parseLab: a long run of backslashes', run: () => parsed(labOf('\\')) },
  { name: 'parseLab: a long run of double quotes', run: () => parsed(labOf('"')) },
  { name: "parseLab: a long run of single quotes", run: () => parsed(labOf("'")) },
  { name: 'parseLab: a long run of backticks', run: () => parsed(labOf('`')) },
  { name: 'parseLab: a long run of tildes', run: () => parsed(labOf('~')) },
  { name: 'parseLab: a long run of asterisks', run: () => parsed(labOf('*')) },
  { name: 'parseLab: a long run of underscores', run: () => parsed(labOf('_')) },
  { name: 'parseLab: a long run of [', run: () => parsed(labOf('[')) },
  { name: 'parseLab: a long run of <', run: () => parsed(labOf('<')) },
  { name: 'parseLab: a long run of |', run: () => parsed(labOf('|')) },
  { name: 'parseLab: a long run of -', run: () => parsed(labOf('-')) },
  { name: 'parseLab: a long run of #', run: () => parsed(labOf('#')) },
  { name: 'parseLab: a long run of = after a line', run: () => parsed(`${FM}title\n${fill('=', LAB - 200)}${STEP}`) },
  { name: 'parseLab: a long line of Markdown punctuation', run: () => parsed(FM + noise('*_[]()<>`~\\ -#>|!"\'a=&;:', LAB - 200, 1) + STEP) },
  { name: 'parseLab: a long line of > quote markers', run: () => parsed(labOf('>')) },
  { name: 'parseLab: a long line of "> " quote markers', run: () => parsed(labOf('> ')) },
  { name: 'parseLab: a long line of "- " list markers', run: () => parsed(labOf('- ')) },
  { name: 'parseLab: a long line of "1. " list markers', run: () => parsed(labOf('1. ')) },
  // ── parseLab: many lines ────────────────────────────────────────────────
  { name: 'parseLab: millions of blank lines', run: () => parsed(labOf('\n')) },
  { name: 'parseLab: millions of lines of spaces', run: () => parsed(labOf('  \n')) },
  { name: 'parseLab: one paragraph of millions of lines', run: () => parsed(labOf('a b\n')) },
  { name: 'parseLab: one paragraph of millions of lines, then a setext underline', run: () => parsed(`${FM}${fill('a b\n', LAB - 300)}===\n${STEP}`) },
  { name: 'parseLab: millions of headings', run: () => parsed(labOf('# h\n')) },
  { name: 'parseLab: millions of list items', run: () => parsed(labOf('- a\n')) },
  { name: 'parseLab: millions of empty list items', run: () => parsed(labOf('-\n')) },
  { name: 'parseLab: millions of ordered list items', run: () => parsed(labOf('1. a\n')) },
  { name: 'parseLab: millions of quote lines', run: () => parsed(labOf('> a\n')) },
  { name: 'parseLab: millions of lines 32 quotes deep', run: () => parsed(labOf(`${'> '.repeat(32)}a\n`)) },
  { name: 'parseLab: millions of lines 16 lists deep', run: () => parsed(FM + Array.from({ length: 16 }, (_, i) => `${'  '.repeat(i)}- a\n`).join('') + fill(`${'  '.repeat(16)}a\n`, LAB - 1000) + STEP) },
  { name: 'parseLab: millions of table rows', run: () => parsed(`${FM}| a | b |\n| - | - |\n${fill('| x | y |\n', LAB - 300)}${STEP}`) },
  { name: 'parseLab: a table millions of columns wide', run: () => parsed(`${FM}${fill('| a ', LAB / 3)}|\n${fill('| - ', LAB / 3)}|\n${STEP}`) },
  { name: 'parseLab: millions of link definitions', run: () => parsed(labOf('[a]: http://x\n')) },
  { name: 'parseLab: millions of HTML lines', run: () => parsed(`${FM}<details>\n${fill('<p>x</p>\n', LAB - 300)}${STEP}`) },
  { name: 'parseLab: millions of indented code lines', run: () => parsed(`${FM}${fill('    code\n', LAB - 300)}${STEP}`) },
  { name: 'parseLab: a staircase of nested lists as deep as the size allows', run: () => parsed(staircase()) },
  { name: 'parseLab: 100k nested quotes on one line', run: () => parsed(`${FM}${'>'.repeat(100_000)} a\n${STEP}`) },
  { name: 'parseLab: 100k nested list items on one line', run: () => parsed(`${FM}${'- '.repeat(100_000)}a\n${STEP}`) },
  { name: 'parseLab: thousands of lines each one quote deeper', run: () => parsed(FM + Array.from({ length: 3000 }, (_, i) => `${'>'.repeat(i + 1)} a`).join('\n') + STEP) },
  // ── parseLab: blocks ────────────────────────────────────────────────────
  { name: 'parseLab: hundreds of thousands of steps', run: () => parsed(labOf('```sh step\ntrue\n```\n\n')) },
  { name: 'parseLab: hundreds of thousands of check blocks', run: () => parsed(labOf('```check\nping box1 box2\n```\n\n')) },
  { name: 'parseLab: hundreds of thousands of output blocks', run: () => parsed(FM + '```sh step\ntrue\n```\n' + fill('```output\n{*}\n```\n', LAB - 300)) },
  { name: 'parseLab: hundreds of thousands of unclosed-looking fences', run: () => parsed(labOf('```\n````\n')) },
  { name: 'parseLab: fences of growing length', run: () => parsed(FM + Array.from({ length: 4000 }, (_, i) => '`'.repeat(3 + i)).join('\n') + STEP) },
  { name: 'parseLab: a list of items each holding a check block', run: () => parsed(labOf('- item\n\n  ```check\n  ping box1 box2\n  ```\n')) },
  { name: 'parseLab: quotes each holding a step', run: () => parsed(labOf('> ```sh step\n> true\n> ```\n\n')) },
  { name: 'parseLab: list items holding steps with tabs', run: () => parsed(labOf('- a\n\n  ```sh\tstep\n  true\n  ```\n')) },
  { name: 'parseLab: one step of millions of lines', run: () => parsed(`${FM}\`\`\`sh step\n${fill('echo hi\n', LAB - 300)}\`\`\`\n`) },
  { name: 'parseLab: one step with one long line', run: () => parsed(`${FM}\`\`\`sh step\n${fill('a', LAB - 300)}\n\`\`\`\n`) },
  { name: 'parseLab: one check block of millions of checks', run: () => parsed(`${FM}\`\`\`check\n${fill('ping box1 box2\n', LAB - 300)}\`\`\`\n`) },
  { name: 'parseLab: one check line of millions of quoted words', run: () => parsed(`${FM}\`\`\`check\nrule nat POSTROUTING ${fill('"a b" ', LAB - 300)}\n\`\`\`\n`) },
  { name: 'parseLab: one check line of an open quote and backslashes', run: () => parsed(`${FM}\`\`\`check\nsh box1 "${fill('\\', LAB - 300)}\n\`\`\`\n`) },
  { name: 'parseLab: one stdout regex of millions of characters', run: () => parsed(`${FM}\`\`\`sh step\ntrue\n\`\`\`\n\`\`\`check\nstdout /${fill('a', LAB - 300)}/\n\`\`\`\n`) },
  { name: 'parseLab: one stdout regex of deeply nested groups', run: () => parsed(`${FM}\`\`\`sh step\ntrue\n\`\`\`\n\`\`\`check\nstdout /${'('.repeat(100_000)}a${')'.repeat(100_000)}/\n\`\`\`\n`) },
  { name: 'parseLab: an info string of millions of characters', run: () => parsed(`${FM}\`\`\`sh step ${fill('x=1 ', LAB - 300)}\ntrue\n\`\`\`\n`) },
  { name: 'parseLab: blocks of millions of wrong checks', run: () => parsed(labOf(`\`\`\`check\n${'x\n'.repeat(100_000)}\`\`\`\n`)) },
  { name: 'parseLab: millions of fences with a wrong info string', run: () => parsed(labOf('```sh stpe on=\n```\n')) },
  { name: 'parseLab: an info string of spaces', run: () => parsed(`${FM}\`\`\`sh step${fill(' ', LAB - 300)}on=box1\ntrue\n\`\`\`\n`) },
  // ── parseLab: the front matter and the file ─────────────────────────────
  { name: 'parseLab: a front matter that is never closed', run: () => parsed(`---\ntitle: x\n${fill('a: b\n', LAB)}`) },
  { name: 'parseLab: a front matter just under 64 KB of nested flow lists', run: () => parsed(`---\ntitle: x\ntopology: ${'['.repeat(30_000)}\n---\n${STEP}`) },
  { name: 'parseLab: thousands of containers', run: () => parsed(`---\ntitle: x\ntopology:\n  docker: true\n  containers: [${Array.from({ length: 6000 }, (_, i) => `b${i}`).join(', ')}]\n---\n${STEP}`) },
  { name: 'parseLab: CRLF line ends throughout', run: () => parsed(labOf('a line\r\n')) },
  { name: 'parseLab: bytes with bad UTF-8 at the end', run: () => parsed(Buffer.concat([Buffer.from(labOf('a\n')), Buffer.from([0xff])])) },
  { name: 'parseLab: a lab over the size limit', run: () => parsed(FM + fill('a\n', 12 * MiB) + STEP) },
  { name: 'decodeLabText: millions of CR', run: () => `${(decodeLabText(fill('\r', LAB)) as { text: string }).text.length}` },
  {
    name: 'lint: a file just under the limit and one over it',
    run: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nslab-bounded-'))
      try {
        writeFileSync(join(dir, 'a.md'), labOf('- a\n'))
        writeFileSync(join(dir, 'b.md'), FM + fill('a\n', 11 * MiB) + STEP)
        const r = await lint([dir])
        if (r.problems.some((p) => /ran out of stack|could not read/.test(p.message))) throw new Error(r.problems[0]!.message)
        return `${r.problems.length} problems`
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  },
  // ── pieces of the parser on their own ───────────────────────────────────
  { name: 'splitWords: millions of quoted words', run: () => `${JSON.stringify(splitWords(fill('"a\\"b" \'c\' d\\ e ', OUT))).length}` },
  { name: 'splitWords: an open quote then millions of characters', run: () => JSON.stringify(splitWords(`"${fill('x', OUT)}`)).slice(0, 80) },
  { name: 'parseInfo: millions of options', run: () => `${parseInfo(`sh step ${fill('timeout=5s ', OUT)}`, '```').problems.length} problems` },
  { name: 'parseCheck: a check line of millions of spaces', run: () => `${parseCheck(`ping${fill(' ', OUT)}box1 box2`, 1).problem ?? 'ok'}` },
  { name: 'parseCheck: a verb of millions of letters', run: () => `${(parseCheck(fill('p', OUT), 1).problem ?? 'ok').slice(0, 80)}` },
  { name: 'parseCheck: a regex of millions of [', run: () => `${(parseCheck(`stdout /${fill('[', OUT)}/`, 1).problem ?? 'ok').slice(0, 80)}` },
  { name: 'parseCheck: a regex of millions of escapes', run: () => `${(parseCheck(`stdout /${fill('\\/', OUT)}/`, 1).problem ?? 'ok').slice(0, 80)}` },
  // ── the regex of a stdout check ─────────────────────────────────────────
  { name: 'stdout /^(a+)+$/ on 33 a and a b', run: () => stdoutCheck('stdout /^(a+)+$/', `${'a'.repeat(33)}b`) },
  { name: 'stdout /^(a+)+$/ on millions of a and a b', run: () => stdoutCheck('stdout /^(a+)+$/', `${fill('a', OUT)}b`) },
  { name: 'stdout /(a|aa)*c/ on millions of a', run: () => stdoutCheck('stdout /(a|aa)*c/', fill('a', OUT)) },
  { name: 'stdout /(x+x+)+y/ on thousands of x', run: () => stdoutCheck('stdout /(x+x+)+y/', fill('x', 5000)) },
  { name: 'stdout /a.*b.*c.*d/s on millions of a', run: () => stdoutCheck('stdout /a.*b.*c.*d/s', fill('a', OUT)) },
  { name: 'stdout /\\s*x/ on millions of spaces', run: () => stdoutCheck('stdout /\\s*x/', fill(' ', OUT)) },
  { name: 'stdout "text" on millions of spaces', run: () => stdoutCheck('stdout "not there"', fill(' ', OUT)) },
  { name: 'stdout "text" on millions of blank lines', run: () => stdoutCheck('stdout "not there"', fill(' \n ', OUT)) },
  // ── output blocks ───────────────────────────────────────────────────────
  { name: 'matchOutput: many {*} against one long line', run: () => JSON.stringify(matchOutput(['{*}a{*}a{*}a{*}a{*}b'], fill('a', OUT))) },
  { name: 'matchOutput: {*} between every letter against a long line', run: () => JSON.stringify(matchOutput([`${'a{*}'.repeat(200)}b`], fill('a', OUT))) },
  { name: 'matchOutput: a long expected line against a long line', run: () => JSON.stringify(matchOutput([`${fill('a', OUT)}{*}b`], fill('a', OUT))) },
  { name: 'matchOutput: many expected lines against many lines', run: () => JSON.stringify(matchOutput([...fill('x\n', 400_000).split('\n'), 'y'], fill('x\n', OUT))) },
  { name: 'matchOutput: expected lines between ... against many lines', run: () => JSON.stringify(matchOutput([...fill('...\nx{*}\n', 400_000).split('\n'), 'y'], fill('xa\n', OUT))) },
  { name: 'matchOutput: lines of spaces', run: () => JSON.stringify(matchOutput(['x'], fill(`${' '.repeat(1000)}\r\n`, OUT))) },
  // ── captured output as text ─────────────────────────────────────────────
  { name: 'plainText: a line of millions of \\r overwrites', run: () => `${plainText(fill('ab\r', OUT)).length}` },
  { name: 'plainText: a long line, then millions of short \\r overwrites', run: () => `${plainText(fill('x', OUT) + fill('\ry', OUT)).length}` },
  { name: 'plainText: an escape followed by millions of parameter bytes', run: () => `${plainText(`\x1b[${fill('0', OUT)}`).length}` },
  { name: 'plainText: millions of unterminated escapes', run: () => `${plainText(fill('\x1b[1;2', OUT)).length}` },
  { name: 'plainText: millions of OSC starts', run: () => `${plainText(fill('\x1b]x', OUT)).length}` },
  { name: 'plainText: millions of lone surrogates', run: () => `${plainText(fill('\ud800a', OUT)).length}` },
  { name: 'plainText: millions of controls', run: () => `${plainText(noise('\x00\x01\x1b\x7f\x9b\r\n a', OUT, 2)).length}` },
  { name: 'oneLine: a long run of spaces', run: () => `${oneLine(`a${fill(' ', OUT)}b`).length}` },
  { name: 'oneLine: a long run of tabs and spaces', run: () => `${oneLine(`a${fill(' \t', OUT)}b`).length}` },
  { name: 'describeBlock: a step of one long line of spaces', run: () => describeBlock(labWithScript(`a${fill(' ', OUT)}b\nc`).blocks[0]!) },
  { name: 'describeBlock: a check of one long line of spaces', run: () => describeBlock(checkBlockOf(parseCheck(`sh box1 "a${fill(' ', OUT)}b"`, 1).check!)) },
  // ── parsers of what checks' commands print ──────────────────────────────
  { name: 'parsePing: one long "From" line', run: () => JSON.stringify(parsePing(`From ${fill('a', OUT)}`)).slice(0, 80) },
  { name: 'parsePing: one long "From x (" line', run: () => JSON.stringify(parsePing(`From x (${fill('a', OUT)}`)).slice(0, 80) },
  { name: 'parsePing: a long line without "ping: "', run: () => JSON.stringify(parsePing(fill('pin ', OUT))).slice(0, 80) },
  { name: 'parsePing: millions of "ping: " on one line', run: () => JSON.stringify(parsePing(fill('ping: ', OUT))).slice(0, 80) },
  { name: 'parsePing: a long statistics line', run: () => JSON.stringify(parsePing(`1 packets transmitted,${fill(' 1 received,', OUT)}`)).slice(0, 80) },
  { name: 'parsePing: a long rtt line', run: () => JSON.stringify(parsePing(`rtt min/avg/max/mdev = ${fill('1.', OUT)}`)).slice(0, 80) },
  { name: 'parsePing: millions of lines', run: () => JSON.stringify(parsePing(fill('From 1.2.3.4 icmp_seq=1 Destination Host Unreachable\n', OUT))).slice(0, 80) },
  { name: 'parseIptablesSave: one long chain line', run: () => `${parseIptablesSave(`*nat\n:${fill('A', OUT)}`).tables.size}` },
  { name: 'parseIptablesSave: one long chain line of spaces', run: () => `${parseIptablesSave(`*nat\n:A ${fill(' ', OUT)}`).tables.size}` },
  { name: 'parseIptablesSave: one long rule line', run: () => `${parseIptablesSave(`*nat\n[1:2] -A ${fill('A ', OUT)}`).tables.size}` },
  { name: 'parseIptablesSave: one long counter', run: () => `${parseIptablesSave(`*nat\n[${fill('1', OUT)}`).tables.size}` },
  { name: 'parseIptablesSave: millions of rules', run: () => `${parseIptablesSave(`*nat\n${fill('-A POSTROUTING -j MASQUERADE\n', OUT)}COMMIT\n`).tables.get('nat')?.rules.length}` },
  { name: 'parseSysctl: one long key', run: () => `${parseSysctl(fill('a', OUT))?.length}` },
  { name: 'parseSysctl: a long run of spaces', run: () => `${parseSysctl(`a${fill(' ', OUT)}= b`)?.length}` },
  { name: 'parseNetnsList: millions of spaces', run: () => `${parseNetnsList(fill(' ', OUT)).length}` },
  { name: 'parseCurl: a long stderr line', run: () => JSON.stringify(parseCurl({ stdout: '', stderr: `curl: (${fill('1', OUT)}`, exitCode: 7 })).slice(0, 80) },
  { name: 'parseCurl: many markers', run: () => JSON.stringify(parseCurl({ stdout: fill('\n@@NSLAB-CURL@@ 200', OUT), stderr: '', exitCode: 0 })).slice(0, 80) },
  { name: 'parseIpJson: deeply nested JSON', run: () => throws(() => parseIpAddr('['.repeat(OUT))) },
  { name: 'parseIpAddr/Link/Route: millions of entries', run: () => `${parseIpAddr(bigIpJson()).length + parseIpLink(bigIpJson()).length + parseIpRoute(bigIpJson()).length}` },
  // ── programsOfLab ───────────────────────────────────────────────────────
  { name: 'programsOfLab: a step with a long run of spaces', run: () => programsOfLab(labWithScript(`a${fill(' ', LAB)}b`)).join(',') },
  { name: 'programsOfLab: a step with a long run of newlines and spaces', run: () => programsOfLab(labWithScript(`a${fill(' \n', LAB)}b`)).join(',') },
  { name: 'programsOfLab: a step with "netns exec" and a long word', run: () => programsOfLab(labWithScript(`ip netns exec ${fill('x', LAB)}`)).join(',') },
  { name: 'programsOfLab: a step of millions of separators', run: () => programsOfLab(labWithScript(fill(';', LAB))).join(',') },
  { name: 'programsOfLab: a step of millions of "exec"', run: () => programsOfLab(labWithScript(fill('exec ', LAB))).join(',') },
  { name: 'programsOfLab: a step of one long line of letters', run: () => programsOfLab(labWithScript(fill('a', LAB))).join(',') },
  // A run of non-blanks that are no command word: the regex this replaced looked back over all of it from each position.
  { name: 'programsOfLab: a step of one long line of slashes', run: () => programsOfLab(labWithScript(fill('/', LAB))).join(',') },
  { name: 'programsOfLab: a step of one long line of capitals', run: () => programsOfLab(labWithScript(fill('A', LAB))).join(',') },
  { name: 'programsOfLab: a step of one long line of digits', run: () => programsOfLab(labWithScript(fill('1', LAB))).join(',') },
  { name: 'programsOfLab: a step of one long line of base64', run: () => programsOfLab(labWithScript(`echo ${noise('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', LAB, 4)} | base64 -d`)).join(',') },
  { name: 'programsOfLab: a step of millions of commands', run: () => programsOfLab(labWithScript(fill('ping x; curl y\n', LAB))).join(',') },
  // ── renderMarkdown (a lab's prose, for a learner) ───────────────────────
  { name: 'renderMarkdown: one long paragraph of words', run: () => rendered(fill('word ', LAB)) },
  { name: 'renderMarkdown: one long word', run: () => rendered(fill('a', LAB)) },
  { name: 'renderMarkdown: one long heading', run: () => rendered(`# ${fill('word ', LAB)}`) },
  { name: 'renderMarkdown: a long run of spaces', run: () => rendered(`a${fill(' ', LAB)}b`) },
  { name: 'renderMarkdown: a long run of asterisks', run: () => rendered(fill('*', LAB)) },
  { name: 'renderMarkdown: a long run of "*a"', run: () => rendered(fill('*a', LAB)) },
  { name: 'renderMarkdown: a long run of "**a"', run: () => rendered(fill('**a', LAB)) },
  { name: 'renderMarkdown: a long run of "_a"', run: () => rendered(fill('_a', LAB)) },
  { name: 'renderMarkdown: a long run of [', run: () => rendered(fill('[', LAB)) },
  { name: 'renderMarkdown: a long run of "[a]("', run: () => rendered(fill('[a](', LAB)) },
  { name: 'renderMarkdown: a long run of "![a]("', run: () => rendered(fill('![a](', LAB)) },
  { name: 'renderMarkdown: a long run of <', run: () => rendered(fill('<', LAB)) },
  { name: 'renderMarkdown: a long run of "<a "', run: () => rendered(fill('<a ', LAB)) },
  { name: 'renderMarkdown: an HTML block of millions of <', run: () => rendered(`<div>\n${fill('<', LAB)}`) },
  { name: 'renderMarkdown: inline HTML then millions of <', run: () => rendered(`a <b ${fill('<', LAB)}>`) },
  { name: 'renderMarkdown: a long run of backticks', run: () => rendered(`a ${fill('`', LAB)}`) },
  { name: 'renderMarkdown: a long run of "`a"', run: () => rendered(fill('`a', LAB)) },
  { name: 'renderMarkdown: a long run of backslashes', run: () => rendered(fill('\\', LAB)) },
  { name: 'renderMarkdown: a long run of ~', run: () => rendered(`a ${fill('~', LAB)}`) },
  { name: 'renderMarkdown: a long run of &', run: () => rendered(fill('&', LAB)) },
  { name: 'renderMarkdown: a long run of "&amp"', run: () => rendered(fill('&amp', LAB)) },
  { name: 'renderMarkdown: a long run of "www."', run: () => rendered(fill('www.', LAB)) },
  { name: 'renderMarkdown: a long URL', run: () => rendered(`http://${fill('a.', LAB)}`) },
  { name: 'renderMarkdown: a long run of "a@"', run: () => rendered(fill('a@', LAB)) },
  { name: 'renderMarkdown: Markdown punctuation', run: () => rendered(noise('*_[]()<>`~\\ -#>|!"\'a=&;:\n', LAB, 3)) },
  { name: 'renderMarkdown: millions of list items', run: () => rendered(fill('- a\n', LAB)) },
  { name: 'renderMarkdown: millions of table rows', run: () => rendered(`| a | b |\n| - | - |\n${fill('| x | y |\n', LAB)}`) },
  { name: 'renderMarkdown: a table millions of columns wide', run: () => rendered(`${fill('| a ', LAB / 3)}|\n${fill('| - ', LAB / 3)}|\n`) },
  { name: 'renderMarkdown: millions of lines 32 quotes deep', run: () => rendered(fill(`${'> '.repeat(32)}a\n`, LAB)) },
  { name: 'renderMarkdown: 100k nested quotes on one line', run: () => rendered(`${'>'.repeat(100_000)} a`) },
  { name: 'renderMarkdown: 100k nested list items on one line', run: () => rendered(`${'- '.repeat(100_000)}a`) },
  { name: 'renderMarkdown: a code block of millions of lines', run: () => rendered(`\`\`\`\n${fill('x\n', LAB)}\`\`\``) },
  // Just under the size past which prose is plain text: the worst shapes marked is given.
  ...['_a', '*a_', '**a', '[', '![a](', '> - ', '- ', '~~a', '<a '].map((unit) => ({
    name: `renderMarkdown: 16 KB of "${unit}"`,
    run: () => rendered(fill(unit, MAX_MARKDOWN - 1)),
  })),
  {
    name: 'labProse: a lab of 16 KB pieces of prose between steps',
    run: async () => {
      const r = parseLab(labOf(`${fill('_a', MAX_MARKDOWN - 100)}\n\n\`\`\`sh step\ntrue\n\`\`\`\n\n`), 'prose.md')
      if (!r.lab) throw new Error(r.problems[0]?.message)
      const prose = await labProse(r.lab)
      return `${prose.blocks.length} pieces`
    },
  },
]

function bigIpJson(): string {
  const one = '{"ifname":"eth0","dst":"default","gateway":"1.2.3.4","flags":["UP"],"addr_info":[{"family":"inet","local":"1.2.3.4","prefixlen":24}]}'
  return `[${fill(`${one},`, OUT)}${one}]`
}

function throws(f: () => unknown): string {
  try {
    f()
    return 'returned'
  } catch (e) {
    if (e instanceof RangeError) throw e
    return `threw ${(e as Error).name}`
  }
}
