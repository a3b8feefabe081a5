// The HTML gradebook in a real browser: Debian's chromium, headless, opens
// the page from a file with its network off; its DOM is read back and a
// screenshot taken. Skipped (and saying so) where /usr/bin/chromium is absent.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gradeAll } from '../../runner/cli/grade-command.js'
import type { GradeLimits } from '../../runner/grade/grade.js'
import { gradeHtml } from '../../runner/grade/grade-html.js'
import { prepareGradingHost } from '../../runner/grade/grading-host.js'
import { labExercises } from '../../runner/lab/lab-exercises.js'
import { loadLabs } from '../../runner/lab/load-labs.js'
import { loadSubmission } from '../../runner/grade/load-submission.js'
import { ensureBuilt, ROOT } from '../fixtures/grade-labs/ensure-built.js'

const CHROMIUM = '/usr/bin/chromium'
const LAB = join(ROOT, 'test/fixtures/grade-labs/snat-mini.md')
const CLASS = join(ROOT, 'test/fixtures/submissions/snat-mini')
const LIMITS: GradeLimits = { timeoutMs: 60_000, maxOutputBytes: 64 * 1024, maxProcs: 64, memoryBytes: 256 * 1024 * 1024, fileBytes: 8 * 1024 * 1024, cpus: 1 }

const skip = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (apt-get install chromium)`
  : process.getuid?.() !== 0
    ? 'grading in isolation needs root'
    : false

t.test('the gradebook page in headless Chromium: the class, every learner, escaped', { skip }, async (t) => {
  ensureBuilt()
  const dir = mkdtempSync(join(tmpdir(), 'nslab-grade-html-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // A learner whose folder name is markup, a bidi override and a terminal escape: the page must show it as text.
  const eve = join(dir, '<img src=x onerror=alert(1)> eve & co \u202eoc\u202c\x1b[2J')
  mkdirSync(eve)
  cpSync(join(CLASS, 'alice'), eve, { recursive: true })

  const lab = loadLabs([LAB]).labs[0]!
  const exercises = labExercises(lab)
  const ids = exercises.map((e) => e.id)
  const submissions = [join(CLASS, 'alice'), join(CLASS, 'bob'), join(CLASS, 'henry'), eve].map((p) => loadSubmission(p, ids))
  const host = await prepareGradingHost()
  t.teardown(() => host.close())
  const { grades, durationMs, startTime, enforcedBy } = await gradeAll({ lab, submissions, host, flags: { jobs: 4, limits: LIMITS, walkthrough: false }, signal: new AbortController().signal })
  const page = join(dir, 'grades.html')
  writeFileSync(page, gradeHtml({ lab, exercises, grades, limits: LIMITS, enforcedBy, version: 'test', startTime, durationMs }))

  const browser = (args: string[]) =>
    spawnSync(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // No name resolves: a page that needed the network would show it.
        '--host-resolver-rules=MAP * ~NOTFOUND',
        `--user-data-dir=${mkdtempSync(join(dir, 'profile-'))}`,
        ...args,
        `file://${page}`,
      ],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    )

  const dom = browser(['--dump-dom'])
  t.equal(dom.status, 0, 'chromium read the page', { stderr: dom.stderr.slice(-2000) })
  const text = domText(dom.stdout)
  t.match(text, /SNAT mini — a lab to test grading with/)
  t.match(text, /4 submissions, 4 points each: 2 full marks, 1 partly right, 1 no points; mean 69%\./)
  t.match(text, /alice\s*2\/2\s*2\/2\s*4\/4\s*100/, "alice's row")
  t.match(text, /bob\s*1\/2\s*2\/2\s*3\/4\s*75\s*exercise-1: rule nat POSTROUTING/, "bob's row and why")
  t.match(text, /henry\s*0\/2\s*0\/2\s*0\/4\s*0\s*exercise-1: your answer was stopped: it did not finish within 15 s/, "henry's row")
  t.match(text, /<img src=x onerror=alert\(1\)> eve & co \\u202eoc\\u202c\\x1b\[2J\s*2\/2\s*2\/2\s*4\/4/, 'a name with markup shows as text, its controls as escapes')
  t.notMatch(dom.stdout, /<img/, '… and made no element')
  t.notMatch(dom.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/, '… nor reorders the page')
  // Each learner's checks, with evidence and the hint of a failed one.
  t.match(text, /rule nat POSTROUTING -s 172\.17\.0\.0\/16 ! -o docker0 -j MASQUERADE\s*nat POSTROUTING has no rule like/)
  t.match(text, /Hint: Docker's rule: nat POSTROUTING, from 172\.17\.0\.0\/16, not out of docker0, MASQUERADE/)
  t.match(text, /\$ ping -c 1 -W 1 203\.0\.113\.10\s+\(on box1, exit 0\)/, 'evidence of a check')
  t.match(text, /while :; do :; done/, "henry's answer is shown")
  t.match(text, /not graded: the lab stopped at exercise-1's answer \(a timeout\)/)

  const png = join(dir, 'grades.png')
  const shot = browser([`--screenshot=${png}`, '--window-size=1200,1600'])
  t.equal(shot.status, 0, 'chromium took a screenshot', { stderr: shot.stderr.slice(-2000) })
  const bytes = readFileSync(png)
  t.same([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG')
  t.same([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [1200, 1600], 'of the window size')
  t.ok(bytes.length > 20_000, `with something drawn on it (${bytes.length} bytes)`)
  if (process.env.NSLAB_KEEP_SCREENSHOT) cpSync(png, process.env.NSLAB_KEEP_SCREENSHOT)
})

/** The text of a serialized DOM, as a reader sees it (tags out, entities decoded, spaces folded). */
function domText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    // Inline elements join their text; the others separate it.
    .replace(/<\/?(span|a|code|small|strong|b|em)\b[^>]*>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t\n]+/g, ' ')
}
