import t, { type Test } from 'tap'
import { type FinalResults, Parser, type Result } from 'tap-parser'
import { describeBlock } from '../../runner/lab/describe-block.js'
import { plainText } from '../../runner/util/plain-text.js'
import type { LabResult, RunEvent } from '../../runner/run/run-event.js'
import { createTapReporter } from '../../runner/report/tap-reporter.js'
import { errorLab, failLab, nastyLab, passLab, runEvents } from '../fixtures/sample-run.js'
import { ACTS_ON_READER, sneakyLab } from '../fixtures/sneaky-run.js'

async function tapOf(events: RunEvent[], close = true): Promise<string> {
  let out = ''
  const r = createTapReporter({ stream: { write: (s: string) => (out += s) } })
  for (const e of events) r.onEvent(e)
  if (close) await r.close()
  return out
}

interface Parsed {
  results: FinalResults
  asserts: Result[]
  /** Test points of each subtest, by the subtest's name. */
  children: Map<string, { asserts: Result[]; results: FinalResults }>
  /** Lines the parser did not take for TAP. */
  extra: string[]
}

/** Parses TAP with tap's own parser, in strict mode (non-TAP lines are errors). */
function parse(text: string): Promise<Parsed> {
  return new Promise((resolve) => {
    const asserts: Result[] = []
    const extra: string[] = []
    const children: Parsed['children'] = new Map()
    const p = new Parser({ strict: true })
    p.on('assert', (a: Result) => asserts.push(a))
    p.on('extra', (x: string) => extra.push(x))
    p.on('child', (child: Parser) => {
      const entry = { asserts: [] as Result[], results: undefined as unknown as FinalResults }
      child.on('assert', (a: Result) => entry.asserts.push(a))
      child.on('extra', (x: string) => extra.push(x))
      child.on('complete', (r: FinalResults) => {
        entry.results = r
        children.set(child.name, entry)
      })
    })
    p.on('complete', (results: FinalResults) => resolve({ results, asserts, children, extra }))
    p.end(text)
  })
}

function noParseErrors(t: Test, parsed: Parsed): void {
  t.same(parsed.extra, [], 'no line that is not TAP')
  const tapErrors = [parsed.results, ...[...parsed.children.values()].map((c) => c.results)].flatMap((r) =>
    r.failures.filter((f) => f.tapError),
  )
  t.same(tapErrors, [], 'no TAP errors')
}

const all = [passLab, failLab, errorLab, nastyLab]

t.test('a run of four labs, interleaved, parses as TAP 14', async (t) => {
  const text = await tapOf(runEvents(all, { interleave: true, jobs: 2 }))
  t.match(text, /^TAP version 14\n/)
  t.match(text, /\n1\.\.4\n# 4 labs: 1 passed, 2 failed, 1 errored\n$/)
  const parsed = await parse(text)
  noParseErrors(t, parsed)
  const { results } = parsed
  t.equal(results.ok, false)
  t.equal(results.count, 4)
  t.equal(results.pass, 1)
  t.equal(results.fail, 3)
  t.same(results.plan, { start: 1, end: 4, skipAll: false, skipReason: '', comment: '' })
  t.same(parsed.asserts.map((a) => [a.name, a.ok]).sort(), [
    ['labs/<nasty> & "odd".md [linux 6.1 <nft> & "legacy"]', false],
    ['labs/broken.md', false],
    ['labs/pass.md', true],
    ['labs/snat-outbound.md', false],
  ])
  t.equal(parsed.asserts.find((a) => a.name === 'labs/snat-outbound.md')?.time, 1900, 'a lab carries its time')

  const snat = parsed.children.get('labs/snat-outbound.md')
  t.ok(snat, 'each lab is a subtest named after its file')
  t.equal(snat?.results.count, 7, 'one test point per block')
  t.equal(snat?.results.fail, 1)
  t.equal(snat?.results.skip, 2)
  t.equal(parsed.children.get('labs/pass.md')?.results.ok, true)
  t.equal(parsed.children.get('labs/pass.md')?.results.count, 4)
})

t.test('a failed check: YAML diagnostics with message, evidence, expected/got, hint, file:line', async (t) => {
  const parsed = await parse(await tapOf(runEvents([failLab])))
  noParseErrors(t, parsed)
  const points = parsed.children.get('labs/snat-outbound.md')!.asserts
  const failed = points.filter((a) => !a.ok)
  t.equal(failed.length, 1)
  const f = failed[0]!
  t.equal(f.name, 'line 31: check: no ping box1 internet')
  t.equal(f.time, 1200)
  t.match(f.diag, {
    message: 'box1 got replies from 203.0.113.10 (1 sent, 1 received)',
    expected: 'no reply',
    got: '1 received',
    hint: 'Rewrite the source of traffic from 172.17.0.0/16 in nat POSTROUTING',
    location: 'labs/snat-outbound.md:32',
    at: { fileName: 'labs/snat-outbound.md', lineNumber: 32 },
    evidence: [{ machine: 'box1', command: 'ping -c 1 -W 1 203.0.113.10', exitCode: 0, output: /1 packets transmitted, 1 received/ }],
  })
  const skipped = points.filter((a) => a.skip)
  t.same(
    skipped.map((a) => [a.name, a.skip, a.ok]),
    [
      [`line 37: ${describeBlock(failLab.blocks[5]!.block)}`, 'an earlier step failed', true],
      ['line 41: check: ping box1 internet', 'an earlier step failed', true],
    ],
  )
  t.equal(points[0]?.time, 12, 'blocks carry their time')
})

t.test('an errored lab fails with the error as its last test point', async (t) => {
  const parsed = await parse(await tapOf(runEvents([errorLab])))
  noParseErrors(t, parsed)
  t.equal(parsed.results.fail, 1)
  const points = parsed.children.get('labs/broken.md')!.asserts
  t.same(points.map((a) => a.ok), [true, false])
  t.equal(points[1]?.name, 'error: labs/broken.md:14: the sandbox could not be built: RTNETLINK answers: Operation not permitted')
  t.match(points[1]?.diag, { message: /fix: run nslab as root$/ })
})

t.test('a lab rejected before any block ran', async (t) => {
  const rejected: LabResult = { file: 'labs/bad.md', title: '', status: 'error', durationMs: 2, blocks: [], error: 'labs/bad.md:27: unknown check "pnig" (did you mean "ping"?)' }
  const parsed = await parse(await tapOf(runEvents([rejected])))
  noParseErrors(t, parsed)
  t.equal(parsed.results.fail, 1)
  t.equal(parsed.children.get('labs/bad.md')?.asserts[0]?.name, 'error: labs/bad.md:27: unknown check "pnig" (did you mean "ping"?)')
})

t.test('control characters, # and \\ in names and diagnostics', async (t) => {
  const text = await tapOf(runEvents([nastyLab]))
  t.notMatch(text, /[\x00-\x08\x0b-\x1f\x7f]/, 'no control characters in the stream')
  const parsed = await parse(text)
  noParseErrors(t, parsed)
  const child = parsed.children.get(`${nastyLab.file} [${nastyLab.cell}]`)
  t.ok(child, 'the subtest name keeps <, &, quotes and the cell')
  const points = child!.asserts
  t.same(
    points.map((a) => a.name),
    nastyLab.blocks.map((b) => `line ${b.block.line}: ${describeBlock(b.block)}`),
    'names round-trip through TAP escaping',
  )
  t.equal(points[0]?.diag?.message, plainText(nastyLab.blocks[0]!.message!))
  t.equal(points[2]?.diag?.hint, plainText(nastyLab.blocks[2]!.hint!))
  t.equal(points[1]?.diag?.expected, '...\nline {*} <tag> & "x"\n...', 'lines of "..." inside diagnostics do not end them')
  t.match(points[2]?.diag, {
    message: '2 of 3 checks failed',
    checks: [
      { check: 'sh box1 "test -e /x<y"', line: 21 },
      { check: 'no netns box1', line: 23, expected: 'no netns box1', got: 'box1 <listed> & "present"' },
    ],
  })
})

t.test('bidi formatting and escapes in names and diagnostics show as escapes', async (t) => {
  const text = await tapOf(runEvents([sneakyLab]))
  t.notMatch(text, ACTS_ON_READER, 'nothing in the stream acts on a reader')
  const parsed = await parse(text)
  noParseErrors(t, parsed)
  t.match(text, '# Subtest: labs/\\u202egpj.exe\\u202c.md [alice\\u2066\\u202e ecila\\u2069]\n')
  t.match(text, '    # Title \\u202eeltit\\u202c \\x1b]0;owned\\x07 \\x1b[2J\n')
  const child = parsed.children.get('labs/\\u202egpj.exe\\u202c.md [alice\\u2066\\u202e ecila\\u2069]')
  t.ok(child, 'the subtest, named with its escapes')
  t.match(child?.asserts[1]?.diag, {
    hint: 'the hint \\u202eflipped\\u202c',
    evidence: [{ machine: 'box\\u202e1', output: 'From \\u202e203.0.113.1\\u202c: unreachable' }],
  })
})

t.test('a run that passes is ok', async (t) => {
  const parsed = await parse(await tapOf(runEvents([passLab, passLab].map((l, i) => ({ ...l, file: `labs/p${i}.md` })))))
  noParseErrors(t, parsed)
  t.equal(parsed.results.ok, true)
  t.equal(parsed.results.pass, 2)
})

t.test('a lab with no blocks is a skipped subtest; an empty run plans 0', async (t) => {
  const empty: LabResult = { file: 'labs/empty.md', title: 'Empty', status: 'pass', durationMs: 5, blocks: [] }
  const parsed = await parse(await tapOf(runEvents([empty])))
  noParseErrors(t, parsed)
  t.equal(parsed.results.ok, true)
  t.equal(parsed.children.get('labs/empty.md')?.results.plan.skipAll, true)
  const none = await parse(await tapOf(runEvents([])))
  noParseErrors(t, none)
  t.equal(none.results.ok, true)
  t.equal(none.results.count, 0)
})

t.test('cut short before run-end: labs so far, then Bail out!', async (t) => {
  const events = runEvents([passLab, failLab])
  const text = await tapOf(events.slice(0, events.findIndex((e) => e.type === 'lab-end') + 3))
  t.match(text, /Bail out! the run was interrupted\n$/)
  const parsed = await parse(text)
  t.equal(parsed.results.bailout, 'the run was interrupted')
  t.equal(parsed.results.pass, 1, 'the lab that ended is there')
})
