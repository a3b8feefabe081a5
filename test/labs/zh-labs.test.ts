// The Chinese labs (labs/zh/) are the English labs in other prose: the same
// blocks, in the same order, with the same info strings and text (only a
// check block's hint="…" is translated). They lint, they run, a folder stands
// for its own labs only (labs/ the English ones, labs/zh/ the Chinese), and a
// learner working through one reads nslab's own words in Chinese.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Block, Lab } from '../../runner/lab/lab.js'
import { findLabs } from '../../runner/lab/find-labs.js'
import { formatProblem } from '../../runner/lab/lab-problem.js'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { learner, requireBuild, ROOT } from '../helpers/learner-cli.js'

const LABS = ['container-to-container', 'dnat-port-forward', 'snat-outbound']
/** Han characters: what Chinese prose is written in. */
const HAN = /\p{Script=Han}/u

function labAt(path: string): Lab {
  const r = parseLab(readFileSync(join(ROOT, path)), path)
  if (!r.lab) throw new Error(`${path} does not parse:\n${r.problems.map(formatProblem).join('\n')}`)
  return r.lab
}

/** A block as it must be the same in both languages: all but its place, its prose and its hint. */
function sameness(b: Block) {
  const info = b.info.replace(/\s*hint="(?:[^"\\]|\\.)*"/, '')
  return { kind: b.kind, info, content: b.content, ...(b.kind === 'check' ? { hinted: b.hint !== undefined } : {}) }
}

/** A value without the file lines in it (the Chinese front matter has one more line, lang:). */
const withoutLines = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (/^line$|Line$/.test(k) ? undefined : x)))

/** Indented code in the prose (rules quoted as iptables prints them): the same in both languages. */
const indentedCode = (lab: Lab) => [...lab.blocks.map((b) => b.prose), lab.epilogue].flatMap((p) => p.split('\n').filter((l) => /^ {4}\S/.test(l)))

for (const name of LABS) {
  t.test(`labs/zh/${name}.md has the English lab's blocks, and Chinese prose`, async (t) => {
    const en = labAt(`labs/${name}.md`)
    const zh = labAt(`labs/zh/${name}.md`)
    t.equal(en.lang, 'en')
    t.equal(zh.lang, 'zh', 'front matter lang: zh')
    t.same(withoutLines(zh.topology), withoutLines(en.topology), 'the same lab host')
    t.equal(zh.timeoutMs, en.timeoutMs)
    t.equal(zh.blocks.length, en.blocks.length, 'as many blocks')
    t.same(zh.blocks.map(sameness), en.blocks.map(sameness), 'each block the same: kind, info string, text, in order')
    t.same(indentedCode(zh), indentedCode(en), 'the same indented code in the prose')
    t.match(zh.title, HAN, 'a Chinese title')
    t.match(zh.summary ?? '', HAN, 'a Chinese summary')
    zh.blocks.forEach((b, i) => {
      if (b.kind === 'check' && b.hint !== undefined) t.match(b.hint, HAN, `the hint at line ${b.line} is Chinese`)
      const english = en.blocks[i]!.prose.trim()
      // Prose where the English lab has some, in Chinese.
      if (english) t.match(b.prose, HAN, `the prose before line ${b.line} is Chinese`)
    })
    t.not(zh.blocks.map((b) => b.prose).join(''), en.blocks.map((b) => b.prose).join(''))
  })
}

/** The English labs: labs/*.md, not its subfolders (the three translated and the catalogue's others). */
const ENGLISH = readdirSync(join(ROOT, 'labs')).filter((f) => f.endsWith('.md')).sort()

t.test('a folder stands for its own labs: labs/ the English ones, labs/zh/ the Chinese', async (t) => {
  t.same(findLabs([join(ROOT, 'labs')]).map((f) => f.slice(ROOT.length)), ENGLISH.map((f) => `labs/${f}`))
  t.ok(LABS.every((n) => ENGLISH.includes(`${n}.md`)), 'each Chinese lab has its English one')
  t.same(findLabs([join(ROOT, 'labs/zh')]).map((f) => f.slice(ROOT.length)), LABS.map((n) => `labs/zh/${n}.md`))
})

t.test('the Chinese labs lint and run', async (t) => {
  requireBuild()
  const l = learner()
  t.teardown(() => l.cleanup())
  const lint = l.nslab(['lint', 'labs/zh'])
  t.equal(lint.code, 0, `nslab lint labs/zh exits 0\n${lint.stdout}${lint.stderr}`)
  t.match(lint.stdout + lint.stderr, /3 labs valid/)
  const lintAll = l.nslab(['lint', 'labs'])
  t.match(lintAll.stdout + lintAll.stderr, new RegExp(`^${ENGLISH.length} labs valid`, 'm'), 'labs/ is the English labs')

  const dir = mkdtempSync(join(tmpdir(), 'nslab-zh-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const json = join(dir, 'report.json')
  const run = l.nslab(['run', 'labs/zh/', '--json', json, '-j', '2'], { timeoutMs: 300_000 })
  t.equal(run.code, 0, `nslab run labs/zh/ exits 0\n${run.stdout.slice(-3000)}\n${run.stderr}`)
  const report = JSON.parse(readFileSync(json, 'utf8')) as { labs: { file: string; status: string }[] }
  t.same(
    report.labs.map((x) => [x.file, x.status]).sort(),
    LABS.map((n) => [`labs/zh/${n}.md`, 'pass']),
    'the three Chinese labs, all passed',
  )
})

t.test("a learner in a Chinese lab reads nslab's words in Chinese", async (t) => {
  requireBuild()
  const l = learner()
  t.teardown(() => l.cleanup())
  const up = l.nslab(['up', 'labs/zh/snat-outbound.md', '--name', 'zh'], { timeoutMs: 120_000 })
  t.equal(up.code, 0, `nslab up\n${up.stdout}${up.stderr}`)
  t.match(up.stdout, /zh 已启动：SNAT：容器如何访问外部网络/)
  t.match(up.stdout, /── 任务 1\/13 · SNAT 出站/)
  t.match(up.stdout, /完成后运行：nslab check/)
  t.match(up.stdout, /进入实验：nslab shell {4}检查进度：nslab check {4}结束实验：nslab down/)
  t.notMatch(up.stdout, /Task 1 of|When you are done|Work in the lab/)
  // Chinese prose wrapped at 80 columns (no terminal: 80), a Chinese character two of them.
  for (const line of up.stdout.split('\n')) t.ok(columnsOf(line) <= 80, `fits 80 columns: ${line}`)
  t.notMatch(up.stdout, /\p{Script=Han} \p{Script=Han}/u, 'no space put between two Chinese characters')

  const pass = l.nslab(['check'])
  t.equal(pass.code, 1, 'tasks remain')
  t.match(pass.stdout, /✓ 任务 1\/13 · SNAT 出站 — 完成/)
  t.match(pass.stdout, /── 任务 2\/13 · 1\. box1 ping 互联网/)
  t.match(pass.stdout, /输出大致如下：/)

  const fail = l.nslab(['check'])
  t.equal(fail.code, 1)
  t.match(fail.stdout, /✗ 任务 2\/13 · 1\. box1 ping 互联网 — 尚未完成/)
  t.match(fail.stdout, /期望：/)
  t.match(fail.stdout, /进度：已完成 1\/13 个任务。/)
  t.notMatch(fail.stdout, /not done yet|Progress:/)

  const hint = l.nslab(['hint'])
  t.match(hint.stdout, /这个任务没有单独的提示/)
  const solve = l.nslab(['solve'])
  t.equal(solve.code, 0, `nslab solve\n${solve.stdout}${solve.stderr}`)
  t.match(solve.stdout, /正在解答 任务 2\/13/)
  t.match(solve.stdout, /✓ 任务 2\/13 · 1\. box1 ping 互联网 — 完成（借助了参考答案）/)

  const status = l.nslab(['status'])
  t.match(status.stdout, /名称\s+实验\s+运行时长\s+进度\s+状态/)
  t.match(status.stdout, /zh {2,}SNAT：容器如何访问外部网络 {2,}\d+ s +2\/13 （1 个借助参考答案） {2,}运行中/)
  t.match(l.nslab(['down', 'zh']).stdout, /^zh 已关闭。$/m)
})

t.test('an English lab keeps English words', async (t) => {
  requireBuild()
  const l = learner()
  t.teardown(() => l.cleanup())
  const up = l.nslab(['up', 'labs/snat-outbound.md', '--name', 'en'], { timeoutMs: 120_000 })
  t.equal(up.code, 0, `nslab up\n${up.stdout}${up.stderr}`)
  t.match(up.stdout, /── Task 1 of 13 · SNAT outbound/)
  const check = l.nslab(['check'])
  t.match(check.stdout, /✓ Task 1 of 13 · SNAT outbound — done/)
  t.notMatch(check.stdout, HAN)
  t.match(l.nslab(['status']).stdout, /NAME\s+LAB\s+AGE\s+PROGRESS\s+STATE/)
})

/** Terminal columns of a line: Han characters and full-width punctuation take two. */
function columnsOf(line: string): number {
  let n = 0
  for (const ch of line) n += /[\p{Script=Han}\u3000-\u303f\uff01-\uff60]/u.test(ch) ? 2 : 1
  return n
}
