// A lab's `stdout /regex/` runs on RE2 (re2js): linear in the output, with
// the lab format's semantics (multi-line, flags after the slash), and what
// RE2 cannot run is a problem at the check's line.

import t from 'tap'
import { stdoutProbe } from '../../checks/stdout.js'
import { compileLabRegex } from '../../runner/lab/compile-lab-regex.js'
import type { ExecResult } from '../../runner/host/exec-result.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { parseCheck } from '../../runner/lab/parse-check.js'
import { parseLab } from '../../runner/lab/parse-lab.js'

const run = (stdout: string): ExecResult => ({ machine: 'host', command: 'true', exitCode: 0, stdout, stderr: '', output: stdout, durationMs: 1, timedOut: false })

async function holds(line: string, stdout: string): Promise<boolean> {
  const r = parseCheck(line, 1)
  if (!r.check) throw new Error(r.problem)
  const lab = parseLab('---\ntitle: x\n---\n```sh step\ntrue\n```\n', 'x.md').lab!
  const p = await stdoutProbe(r.check, { lab, exec: async () => run(''), addressOf: () => undefined, look: async () => { throw new Error('stdout looks at nothing') }, netnsNames: async () => { throw new Error('stdout looks at nothing') }, previous: run(stdout) })
  if (p.invalid) throw new Error(p.sentence)
  return p.holds
}

t.test('the regex that backtracked for minutes answers at once', async (t) => {
  const started = performance.now()
  t.equal(await holds('stdout /^(a+)+$/', `${'a'.repeat(33)}b`), false)
  t.equal(await holds('stdout /^(a+)+$/', `${'a'.repeat(1_000_000)}b`), false)
  t.equal(await holds('stdout /^(a+)+$/', `x\n${'a'.repeat(40)}\ny`), true, 'a line of a alone')
  // V8 took 1.5 minutes on the first; RE2 takes milliseconds. The bound is for a busy machine.
  t.ok(performance.now() - started < 10_000, `${Math.round(performance.now() - started)} ms`)
})

t.test('the documented semantics: multi-line, flags i and s, JavaScript escapes', async (t) => {
  t.equal(await holds('stdout /^3 received$/', 'PING x\n3 received\nrtt'), true, '^ and $ at each line')
  t.equal(await holds('stdout /\\d+ received/', '3 received'), true)
  t.equal(await holds('stdout /HELLO/i', 'hello'), true)
  t.equal(await holds('stdout /HELLO/', 'hello'), false)
  t.equal(await holds('stdout /a.b/', 'a\nb'), false, '. is not a newline')
  t.equal(await holds('stdout /a.b/s', 'a\nb'), true, 'unless s')
  t.equal(await holds('stdout /\\/etc\\/hosts/', 'cat /etc/hosts'), true, 'an escaped slash')
  t.equal(await holds('stdout /a[/]b/', 'a/b'), true, 'a slash in a class')
  t.equal(await holds('stdout /\\u0041\\x42/', 'AB'), true, '\\u and \\x escapes')
  t.equal(await holds('stdout /(?<n>ab)+c/', 'ababc'), true, 'a named group')
  t.equal(await holds('stdout /a{2,3}?b/u', 'aab'), true, 'a lazy counted repeat, flag u')
})

t.test('what RE2 cannot run in linear time is a problem at its line, saying why', async (t) => {
  const lab = (check: string) => `---\ntitle: x\n---\n\`\`\`sh step\ntrue\n\`\`\`\n\`\`\`check\n${check}\n\`\`\`\n`
  const problems = (check: string) => parseLab(lab(check), 'lab.md').problems.map(formatProblem)
  t.same(problems('stdout /(a)\\1/'), [
    'lab.md:8: bad regex /(a)\\1/: a backreference (\\1) cannot be matched in linear time: nslab matches regexes with RE2, which has no backreferences, lookahead or lookbehind',
  ])
  t.match(problems('stdout /(?<x>a)\\k<x>/'), [/^lab\.md:8: bad regex .*: a backreference \(\\k<…>\) cannot be matched in linear time/])
  t.match(problems('stdout /a(?=b)/'), [/^lab\.md:8: bad regex \/a\(\?=b\)\/: a lookahead \(\?=…\) cannot be matched in linear time/])
  t.match(problems('stdout /a(?!b)/'), [/negative lookahead/])
  t.match(problems('stdout /(?<=a)b/'), [/a lookbehind \(\?<=…\)/])
  t.match(problems('stdout /(?<!a)b/'), [/negative lookbehind/])
  t.match(problems('stdout /a{2000}/'), [/^lab\.md:8: bad regex \/a\{2000\}\/: invalid repeat count: `\{2000\}` \(nslab matches regexes with RE2\)$/])
  // Escapes and classes are read as JavaScript reads them: these are no lookaround.
  t.same(problems('stdout /\\(?=x\\)/'), [])
  t.same(problems('stdout /[(?=]x/'), [])
  t.same(problems(`stdout /${'a'.repeat(1025)}/`), [`lab.md:8: bad regex /${'a'.repeat(77)}…/: it is 1025 characters: a regex is at most 1024`])
  t.same(problems(`stdout /${'a'.repeat(1024)}/`), [])
  // JavaScript's own syntax errors keep JavaScript's words.
  t.same(problems('stdout /a(/'), ['lab.md:8: bad regex /a(/: Unterminated group'])
})

t.test('compileLabRegex never throws', async (t) => {
  for (const body of ['(', '[', '\\', 'a**', '(?P<>a)', '\\p{Nope}', '('.repeat(5000), 'a'.repeat(100_000)]) {
    const r = compileLabRegex(body, '')
    t.ok('regex' in r || typeof r.error === 'string', JSON.stringify(body.slice(0, 20)))
  }
  t.same(compileLabRegex('a', 'g'), { error: 'bad regex flags "g": use i, m, s or u' })
})
