// The XML is checked by libxml2's xmllint (Debian: libxml2-utils): well-formed,
// valid against test/fixtures/junit.xsd, and read back with XPath.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { describeBlock } from '../../runner/lab/describe-block.js'
import { createJunitReporter } from '../../runner/report/junit-reporter.js'
import { plainText } from '../../runner/util/plain-text.js'
import type { RunEvent } from '../../runner/run/run-event.js'
import { safeLine } from '../../runner/util/safe-text.js'
import { errorLab, failLab, nastyLab, passLab, runEvents } from '../fixtures/sample-run.js'
import { ACTS_ON_READER, sneakyLab } from '../fixtures/sneaky-run.js'

const XSD = new URL('../fixtures/junit.xsd', import.meta.url).pathname

function xmllint(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('xmllint', args, { encoding: 'utf8' })
  if (r.error) throw new Error(`xmllint: ${r.error.message} (apt-get install -y libxml2-utils)`)
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** An XPath value from the file, as xmllint prints it (without its final newline). */
function xpath(file: string, expr: string): string {
  const r = xmllint(['--xpath', expr, file])
  if (r.status !== 0) throw new Error(`xpath ${expr}: ${r.stderr}`)
  return r.stdout.replace(/\n$/, '')
}

async function junitOf(dir: string, events: RunEvent[], name = 'junit.xml'): Promise<string> {
  const file = join(dir, 'reports', name)
  const r = createJunitReporter({ file })
  for (const e of events) r.onEvent(e)
  await r.close()
  return file
}

function valid(t: Test, file: string): void {
  const wellFormed = xmllint(['--noout', file])
  t.equal(wellFormed.status, 0, `well-formed ${wellFormed.stderr}`)
  const schema = xmllint(['--noout', '--schema', XSD, file])
  t.equal(schema.status, 0, `valid against junit.xsd ${schema.stderr}`)
}

t.test('xmllint is installed', async (t) => {
  t.equal(spawnSync('xmllint', ['--version']).error, undefined, 'xmllint runs (apt-get install -y libxml2-utils)')
})

t.test('the schema rejects what breaks it, so a pass means something', async (t) => {
  const dir = t.testdir({
    'no-name.xml': '<testsuites tests="1" failures="0" errors="0" time="0.100"><testsuite name="a" tests="1" failures="0" errors="0" skipped="0" time="0.100"><testcase classname="a" time="0.100"/></testsuite></testsuites>',
    'comma-time.xml': '<testsuites tests="0" failures="0" errors="0" time="1,5"/>',
    'not-xml.xml': '<testsuites tests="0" failures="0" errors="0" time="1.000">a < b</testsuites>',
  })
  t.not(xmllint(['--noout', '--schema', XSD, join(dir, 'no-name.xml')]).status, 0)
  t.not(xmllint(['--noout', '--schema', XSD, join(dir, 'comma-time.xml')]).status, 0)
  t.not(xmllint(['--noout', join(dir, 'not-xml.xml')]).status, 0)
})

t.test('a run of four labs: suites, cases, failures, skips, an error', async (t) => {
  const file = await junitOf(t.testdir(), runEvents([passLab, failLab, errorLab, nastyLab], { interleave: true, jobs: 2 }))
  valid(t, file)
  t.equal(xpath(file, 'count(/testsuites/testsuite)'), '4')
  // 4 + 7 + (1 + the error) + 3
  t.equal(xpath(file, 'count(//testcase)'), '16')
  t.equal(xpath(file, 'string(/testsuites/@tests)'), '16')
  t.equal(xpath(file, 'string(/testsuites/@failures)'), '4')
  t.equal(xpath(file, 'string(/testsuites/@errors)'), '1')
  t.equal(xpath(file, 'string(/testsuites/@time)'), '4.200')
  t.equal(xpath(file, 'count(//failure)'), '4')
  t.equal(xpath(file, 'count(//skipped)'), '2')
  t.equal(xpath(file, 'count(//error)'), '1')

  const snat = '/testsuites/testsuite[@name="labs/snat-outbound.md"]'
  t.equal(xpath(file, `string(${snat}/@tests)`), '7')
  t.equal(xpath(file, `string(${snat}/@failures)`), '1')
  t.equal(xpath(file, `string(${snat}/@skipped)`), '2')
  t.equal(xpath(file, `string(${snat}/@time)`), '1.900')
  t.match(xpath(file, `string(${snat}/@timestamp)`), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/)
  t.equal(xpath(file, `string(${snat}/properties/property[@name="title"]/@value)`), failLab.title)
  t.equal(xpath(file, `string(${snat}/testcase[1]/@classname)`), 'labs/snat-outbound.md')
  t.equal(xpath(file, `string(${snat}/testcase[1]/@name)`), 'line 10: setup: iptables -t nat -N EXTRA')
  t.equal(xpath(file, `string(${snat}/testcase[2]/@time)`), '0.410')

  const failed = `${snat}/testcase[failure]`
  t.equal(xpath(file, `count(${failed})`), '1')
  t.equal(xpath(file, `string(${failed}/@name)`), 'line 31: check: no ping box1 internet')
  t.equal(xpath(file, `string(${failed}/@time)`), '1.200')
  t.equal(xpath(file, `string(${failed}/failure/@message)`), 'box1 got replies from 203.0.113.10 (1 sent, 1 received)')
  t.equal(xpath(file, `string(${failed}/failure/@type)`), 'check')
  const text = xpath(file, `string(${failed}/failure)`)
  t.match(text, /^labs\/snat-outbound\.md:32: box1 got replies from 203\.0\.113\.10 \(1 sent, 1 received\)\n/)
  t.match(text, '\nexpected: no reply\ngot: 1 received\n')
  t.match(text, '\n$ ping -c 1 -W 1 203.0.113.10   (on box1, exit 0)\n  PING 203.0.113.10')
  t.match(text, /\nhint: Rewrite the source of traffic from 172\.17\.0\.0\/16 in nat POSTROUTING$/)
  t.equal(xpath(file, `string(${snat}/testcase[6]/skipped/@message)`), 'an earlier step failed')
  t.equal(xpath(file, `string(${snat}/testcase[7]/skipped/@message)`), 'an earlier step failed', 'without the runner\'s "skipped:"')
  t.match(xpath(file, `string(${snat}/testcase[2]/system-out)`), /^PING 203\.0\.113\.10/, "a step's output is its system-out")

  const broken = '/testsuites/testsuite[@name="labs/broken.md"]'
  t.equal(xpath(file, `string(${broken}/@errors)`), '1')
  t.equal(xpath(file, `string(${broken}/testcase[error]/@name)`), 'lab error')
  t.equal(xpath(file, `string(${broken}/testcase/error/@message)`), 'labs/broken.md:14: the sandbox could not be built: RTNETLINK answers: Operation not permitted')
  t.match(xpath(file, `string(${broken}/testcase/error)`), /\n {2}fix: run nslab as root$/)
})

t.test('XML specials and control characters; the cell in the names', async (t) => {
  const file = await junitOf(t.testdir(), runEvents([nastyLab]))
  valid(t, file)
  const raw = readFileSync(file, 'utf8')
  t.notMatch(raw, /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/, 'no control characters in the file')
  t.notMatch(raw, /[\ud800-\udbff](?![\udc00-\udfff])/, 'no lone surrogates')
  const suite = '/testsuites/testsuite[1]'
  t.equal(xpath(file, `string(${suite}/@name)`), `${nastyLab.file} [${nastyLab.cell}]`)
  t.equal(xpath(file, `string(${suite}/properties/property[@name="cell"]/@value)`), nastyLab.cell)
  t.equal(xpath(file, `string(${suite}/properties/property[@name="title"]/@value)`), safeLine(nastyLab.title), "a title's controls are shown as escapes")
  nastyLab.blocks.forEach((b, i) => {
    t.equal(xpath(file, `string(${suite}/testcase[${i + 1}]/@name)`), `line ${b.block.line}: ${describeBlock(b.block)} [${nastyLab.cell}]`)
    t.equal(xpath(file, `string(${suite}/testcase[${i + 1}]/@classname)`), nastyLab.file)
  })
  t.equal(xpath(file, `string(${suite}/testcase[1]/failure/@message)`), plainText(nastyLab.blocks[0]!.message!))
  const checkFailure = xpath(file, `string(${suite}/testcase[3]/failure)`)
  t.match(checkFailure, `${nastyLab.file}:21: sh box1 "test -e /x<y"`, 'each failed check line is named with its line')
  t.match(checkFailure, `${nastyLab.file}:23: no netns box1\n  the lab host lists netns box1\n  expected: no netns box1\n  got: box1 <listed> & "present"`)
  t.notMatch(checkFailure, 'stdout "a&b"', 'the check that passed is not in the failure')
  t.match(checkFailure, `hint: ${plainText(nastyLab.blocks[2]!.hint!)}`)
})

t.test('bidi formatting and escapes in names and failures show as escapes', async (t) => {
  const file = await junitOf(t.testdir(), runEvents([sneakyLab]))
  valid(t, file)
  t.notMatch(readFileSync(file, 'utf8'), ACTS_ON_READER, 'nothing in the file acts on a reader')
  const suite = '/testsuites/testsuite[1]'
  t.equal(xpath(file, `string(${suite}/@name)`), 'labs/\\u202egpj.exe\\u202c.md [alice\\u2066\\u202e ecila\\u2069]')
  t.equal(xpath(file, `string(${suite}/properties/property[@name="title"]/@value)`), 'Title \\u202eeltit\\u202c \\x1b]0;owned\\x07 \\x1b[2J')
  t.equal(xpath(file, `string(${suite}/testcase[1]/system-out)`), 'motd \\u202ereversed\\u202c\nC1 2J csi\n\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\n', "a step's output: what a screen shows of it, bidi shown")
  const failure = xpath(file, `string(${suite}/testcase[2]/failure)`)
  t.match(failure, '$ ping -c 1 203.0.113.10   (on box\\u202e1, exit 1)')
  t.match(failure, 'From \\u202e203.0.113.1\\u202c: unreachable')
  t.match(failure, 'hint: the hint \\u202eflipped\\u202c')
})

t.test('cut short before run-end: what ended is written, still valid', async (t) => {
  const events = runEvents([passLab, failLab])
  const file = await junitOf(t.testdir(), events.slice(0, events.findIndex((e) => e.type === 'lab-end') + 1))
  valid(t, file)
  t.equal(xpath(file, 'count(//testsuite)'), '1')
})

t.test('an empty run and a huge output', async (t) => {
  const dir = t.testdir()
  const empty = await junitOf(dir, runEvents([]), 'empty.xml')
  valid(t, empty)
  t.equal(xpath(empty, 'string(/testsuites/@tests)'), '0')

  const lab = structuredClone(failLab)
  const huge = Array.from({ length: 20000 }, (_, i) => `line ${i} <&>`).join('\n')
  lab.blocks[1]!.exec!.output = huge
  const file = await junitOf(dir, runEvents([lab]), 'huge.xml')
  valid(t, file)
  const out = xpath(file, 'string(//testcase[2]/system-out)')
  t.ok(out.length < 17000, `system-out is cut (${out.length} characters)`)
  t.match(out, /characters cut/)
  t.match(out, /line 19999 <&>$/, 'its end is kept')
})
