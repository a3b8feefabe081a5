// A lab cut into tasks, and a task as the learner reads it (no sandbox needed).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { parseLab } from '../../runner/lab/parse-lab.js'
import { labTasks } from '../../runner/lab/lab-tasks.js'
import { labProse } from '../../runner/learn/lab-prose.js'
import { renderEnding, renderTask } from '../../runner/learn/render-task.js'
import type { Lab } from '../../runner/lab/lab.js'
import { createColors } from '../../runner/util/colors.js'
import { formatFailure } from '../../runner/learn/format-verdict.js'
import type { TaskVerdict } from '../../runner/learn/judge-task.js'
import { ACTS_ON_TERMINAL } from '../fixtures/sneaky-run.js'

function lab(md: string): Lab {
  const r = parseLab(Buffer.from(md), 'test.md')
  if (!r.lab) throw new Error(r.problems.map((p) => `${p.line}: ${p.message}`).join('\n'))
  return r.lab
}

const FENCE = '```'
const SAMPLE = `---
title: Sample
topology:
  docker: true
  containers: [box1]
  internet: true
---

# Sample lab

Intro with \`code\` and a [link](https://example.org).

${FENCE}sh setup
echo secret-setup > /root/x
${FENCE}

${FENCE}check
sh host "test -f /root/x"
${FENCE}

## Part one

Type these:

${FENCE}sh step
ip link add dummy0 type dummy
ip link set dummy0 up
${FENCE}

${FENCE}output
...
{*}dummy0{*}
${FENCE}

${FENCE}sh step on=internet background
sleep 1000
${FENCE}

${FENCE}sh step exit=1
false
${FENCE}

${FENCE}sh step
cat > /tmp/f <<'EOF'
line one
EOF
ip route add 203.0.113.0/24 \\
  dev dummy0
${FENCE}

${FENCE}check hint="ip link add NAME type dummy"
sh host "ip link show dummy0"
${FENCE}

Then do it yourself. No heading here. Second sentence.

${FENCE}sh solution
ip netns add extra
${FENCE}

${FENCE}check
netns extra
${FENCE}

After the last check:

${FENCE}sh step
echo cleanup
${FENCE}

The end.
`

t.test('tasks: each ends with a check block; what follows the last one closes the lab', async (t) => {
  const l = lab(SAMPLE)
  const { tasks, after } = labTasks(l)
  t.equal(tasks.length, 3)
  t.same(
    tasks.map((x) => x.title),
    ['Sample lab', 'Part one', 'Then do it yourself'],
    'titles: the last heading of the task, else its first sentence',
  )
  t.same(
    tasks.map((x) => l.blocks[x.checkBlock]?.kind),
    ['check', 'check', 'check'],
  )
  t.same(tasks[0]?.blocks, [0, 1], 'task 1: the setup and its check')
  t.equal(after.length, 1, 'the step after the last check')
  t.same(labTasks(lab(SAMPLE.replace(/After the last check:[\s\S]*$/, ''))).after, [])
})

t.test('a task as the learner reads it', async (t) => {
  const l = lab(SAMPLE)
  const tasks = labTasks(l)
  const prose = await labProse(l)
  const [one, two, three] = tasks.tasks
  const first = renderTask(l, tasks, one!, { color: false, width: 80, prose })
  t.match(first, /^── Task 1 of 3 · Sample lab ─+\n/)
  t.match(first, /Sample lab\n==========\n\nIntro with `code` and a link \(https:\/\/example\.org\)\./, 'prose rendered, not raw Markdown')
  t.notMatch(first, /secret-setup|sh setup|```/, 'setup commands are not shown')
  t.match(first, /When you are done: nslab check$/)

  const second = renderTask(l, tasks, two!, { color: false, width: 80, prose })
  t.match(second, /    \$ ip link add dummy0 type dummy\n    \$ ip link set dummy0 up\n/, 'a step: each command after a prompt')
  t.match(second, /It prints something like:\n      …\n      …dummy0…/, 'its output, with … for what varies')
  t.match(second, /on internet \(in the lab shell, `on internet` opens a shell there, `on internet COMMAND` runs one\):\n    internet\$ sleep 1000\n    \(it keeps running: start it with & at the end, or in a second shell\)/)
  t.match(second, /\$ false\n    \(it fails on purpose: exit status 1\)/)
  t.match(second, /\$ cat > \/tmp\/f <<'EOF'\n {6}line one\n {6}EOF\n    \$ ip route add 203\.0\.113\.0\/24 \\\n {6}  dev dummy0/, 'heredocs and continuations without a prompt')
  t.notMatch(second, /sh host|ip link show dummy0/, 'the checks are not shown')

  const third = renderTask(l, tasks, three!, { color: false, width: 80, prose })
  t.match(third, /Then do it yourself\. No heading here\. Second sentence\./)
  t.match(third, /\(your turn: this one is yours to work out\)/)
  t.notMatch(third, /ip netns add extra/, 'the solution is not shown')
  t.match(third, /stuck\? nslab hint, nslab solve/)

  const end = renderEnding(l, tasks, { color: false, width: 80, prose })
  t.match(end, /After the last check:\n\n    \$ echo cleanup\n\nThe end\./)

  const colored = renderTask(l, tasks, two!, { color: true, width: 80, prose })
  t.match(colored, /\x1b\[/, 'colors on a terminal')
  const stripped = colored.replace(/\x1b\[[0-9;]*m/g, '')
  t.match(stripped, /    \$ ip link add dummy0 type dummy\n/, 'the same commands, colors aside')
  t.notMatch(stripped, /`|-{9}/, 'styles, not backticks and underlines, on a terminal')
})

t.test('a lab\'s controls and bidi formatting show as escapes in a task, and in a verdict', async (t) => {
  const l = lab(`---
title: Sneaky \u202eeltit\u202c
---

# Part \u202eeno\u202c \x1b]0;owned\x07

Prose \u2066with\u2069 a \x1b[2J clear.

${FENCE}sh step
echo \u202e hi
${FENCE}

${FENCE}check hint="ip \u202eknil\u202c"
sh host "true"
${FENCE}
`)
  const tasks = labTasks(l)
  const prose = await labProse(l)
  for (const color of [false, true]) {
    const text = renderTask(l, tasks, tasks.tasks[0]!, { color, width: 80, prose })
    t.notMatch(text, ACTS_ON_TERMINAL, `nothing acts on the terminal but our colors (color ${color})`)
    t.match(text, 'Part \\u202eeno\\u202c', 'the task title, shown')
    t.match(text, 'echo \\u202e hi', 'a command, shown')
  }
  const check = l.blocks.find((b) => b.kind === 'check')!
  const verdict: TaskVerdict = {
    ok: false,
    skipped: [],
    durationMs: 1,
    results: [{ check: check.kind === 'check' ? check.checks[0]! : (undefined as never), ok: false, sentence: 'it \u202esaw\u202c', evidence: [{ machine: 'box\u202e1', command: 'ip -br a', exitCode: 0, output: 'eth0 \u202eUP\u202c\n' }], durationMs: 1, attempts: 1 }],
  }
  for (const color of [false, true]) {
    const lines = formatFailure(l, tasks.tasks[0]!, 1, verdict, createColors(color)).join('\n')
    t.notMatch(lines, ACTS_ON_TERMINAL, `a verdict: nothing acts on the terminal (color ${color})`)
    t.match(lines, '(on box\\u202e1) $ ip -br a')
    t.match(lines, 'eth0 \\u202eUP\\u202c')
    t.match(lines, 'ip \\u202eknil\\u202c', 'the hint')
  }
})

t.test('the prose is lexed once and reused (nslab check loads no lexer)', async (t) => {
  const l = lab(SAMPLE)
  const prose = JSON.parse(JSON.stringify(await labProse(l)))
  const tasks = labTasks(l)
  t.equal(
    renderTask(l, tasks, tasks.tasks[1]!, { color: false, width: 80, prose }),
    renderTask(l, tasks, tasks.tasks[1]!, { color: false, width: 80, prose: await labProse(l) }),
    'tokens kept as JSON render the same',
  )
})

t.test('the shipped SNAT lab cuts into tasks with names', { skip: !existsSnat() && 'labs/snat-outbound.md is not there' }, async (t) => {
  const file = new URL('../../labs/snat-outbound.md', import.meta.url)
  const r = parseLab(readFileSync(file), 'labs/snat-outbound.md')
  t.same(r.problems, [])
  const { tasks } = labTasks(r.lab!)
  t.ok(tasks.length >= 3)
  for (const x of tasks) t.ok(x.title.length > 0 && x.title.length <= 60, `task ${x.index + 1}: "${x.title}"`)
})

function existsSnat(): boolean {
  try {
    readFileSync(new URL('../../labs/snat-outbound.md', import.meta.url))
    return true
  } catch {
    return false
  }
}
