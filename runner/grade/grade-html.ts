import type { Evidence } from '../../checks/check-result.js'
import { describeBlock } from '../lab/describe-block.js'
import { formatDuration } from '../util/format-duration.js'
import type { ExerciseGrade, Grade, GradeLimits, GradedCheck } from './grade.js'
import type { Exercise } from '../lab/lab-exercises.js'
import { plainText } from '../util/plain-text.js'
import { safeText } from '../util/safe-text.js'
import { truncateOutput } from '../util/truncate-output.js'

export interface GradeHtmlOptions {
  lab: { file: string; title: string }
  exercises: Exercise[]
  grades: Grade[]
  limits: GradeLimits
  enforcedBy: string[]
  version: string
  startTime: number
  durationMs: number
}

/** Outputs and evidence are cut to this many characters on the page. */
const MAX_OUTPUT = 6000

/**
 * The workshop's results as one self-contained HTML page: the class's scores
 * in a table, then, for each learner, each exercise with their answer, what it
 * printed, and every check with its verdict, evidence and hint. No scripts,
 * no fonts or images from anywhere (a Content-Security-Policy says so to the
 * browser); every piece of text is escaped, since most of it comes from
 * learners and their programs.
 */
export function gradeHtml(o: GradeHtmlOptions): string {
  const maxPoints = o.exercises.reduce((n, e) => n + e.max, 0)
  const graded = o.grades.filter((g) => g.status !== 'error' && g.max > 0)
  const mean = graded.length ? Math.round((graded.reduce((n, g) => n + g.points / g.max, 0) / graded.length) * 100) : undefined
  const count = (s: Grade['status']) => o.grades.filter((g) => g.status === s).length
  const date = new Date(o.startTime).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="nslab ${esc(o.version)}">
<title>Grades: ${esc(o.lab.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(o.lab.title)}</h1>
<p class="meta">${esc(o.lab.file)} · graded ${esc(date)} in ${esc(formatDuration(o.durationMs))} · nslab ${esc(o.version)}</p>
</header>
<main>
<section id="class">
<h2>The class</h2>
<p class="summary">${o.grades.length} submission${o.grades.length === 1 ? '' : 's'}, ${maxPoints} point${maxPoints === 1 ? '' : 's'} each:
<span class="pass">${count('pass')} full marks</span>, <span class="partial">${count('partial')} partly right</span>, <span class="fail">${count('fail')} no points</span>${count('error') ? `, <span class="error">${count('error')} not graded</span>` : ''}${mean !== undefined ? `; mean ${mean}%` : ''}.</p>
<table class="scores">
<thead><tr><th scope="col">Learner</th>${o.exercises.map((e) => `<th scope="col" class="num">${esc(e.id)}<br><small>of ${e.max}</small></th>`).join('')}<th scope="col" class="num">Total<br><small>of ${maxPoints}</small></th><th scope="col" class="num">%</th><th scope="col">Why not full marks</th></tr></thead>
<tbody>
${o.grades.map((g, i) => classRow(g, i, o.exercises)).join('\n')}
</tbody>
</table>
<details class="limits"><summary>How the answers were run</summary>
<p>Each submission ran on a fresh lab host of its own: the lab's setup and steps, the learner's answer in place of each exercise's solution, and the checks after it. An exercise scores the checks after its solution (up to the next exercise) that pass; an answer that is missing, empty or not a text file scores nothing and is not run.</p>
<ul>${o.enforcedBy.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
</details>
</section>
${o.grades.map((g, i) => learnerSection(g, i)).join('\n')}
</main>
<footer><p>nslab ${esc(o.version)} · ${esc(o.lab.file)}</p></footer>
</body>
</html>
`
}

function classRow(g: Grade, i: number, exercises: Exercise[]): string {
  const cells = exercises
    .map((e) => {
      const x = g.exercises.find((y) => y.id === e.id)
      if (!x) return '<td class="num">—</td>'
      return `<td class="num ${x.status}" title="${esc(x.reason ?? 'all checks passed')}">${x.points}/${x.max}</td>`
    })
    .join('')
  const pct = g.max ? Math.round((g.points / g.max) * 100) : 0
  return `<tr class="${g.status}"><th scope="row"><a href="#learner-${i}">${esc(g.name)}</a></th>${cells}<td class="num total ${g.status}">${g.points}/${g.max}</td><td class="num">${pct}</td><td class="reason">${g.status === 'pass' ? '' : esc(plainText(g.reason ?? ''))}</td></tr>`
}

function learnerSection(g: Grade, i: number): string {
  const parts: string[] = []
  parts.push(`<section class="learner ${g.status}" id="learner-${i}">`)
  parts.push(`<h2>${esc(g.name)} <span class="badge ${g.status}">${g.points}/${g.max}</span></h2>`)
  parts.push(`<p class="meta">submission: ${esc(g.path)} · graded in ${esc(formatDuration(g.durationMs))}</p>`)
  if (g.status !== 'pass' && g.reason) parts.push(`<p class="reason ${g.status}">${esc(plainText(g.reason))}</p>`)
  const notes = [...g.limitsHit.filter((s) => s !== g.reason).map((s) => `limit: ${s}`), ...g.notes]
  if (notes.length) parts.push(`<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`)
  for (const e of g.exercises) parts.push(exerciseArticle(e))
  parts.push(runDetails(g))
  parts.push('<p class="top"><a href="#class">↑ the class</a></p>')
  parts.push('</section>')
  return parts.join('\n')
}

function exerciseArticle(e: ExerciseGrade): string {
  const a = e.answer
  const p: string[] = []
  p.push(`<article class="exercise ${e.status}">`)
  p.push(`<h3><span class="badge ${e.status}">${e.points}/${e.max}</span> ${esc(e.id)} <small>(the lab's line ${e.line})</small></h3>`)
  if (e.reason) p.push(`<p class="reason ${e.status}">${esc(plainText(e.reason))}</p>`)
  const facts: string[] = []
  if (a.file) facts.push(esc(a.file.replace(/^.*\//, '')))
  if (a.timedOut) facts.push('timed out')
  else if (a.exitCode !== undefined) facts.push(a.exitCode === null ? `killed by ${esc(a.signal ?? 'a signal')}` : `exit ${a.exitCode}`)
  if (a.durationMs !== undefined) facts.push(esc(formatDuration(a.durationMs)))
  p.push(`<div class="answer"><h4>The answer${facts.length ? ` <small>(${facts.join(' · ')})</small>` : ''}</h4>`)
  if (a.script !== undefined) p.push(`<pre class="script">${esc(cutText(a.script))}</pre>`)
  else p.push(`<p class="problem">${esc(a.problem ?? 'not run')}</p>`)
  for (const n of a.notes) p.push(`<p class="note">${esc(n)}</p>`)
  if (a.message && a.script !== undefined) p.push(`<p class="problem">${esc(plainText(a.message))}</p>`)
  if (a.output !== undefined && a.output.trim() !== '') {
    p.push(`<details><summary>What it printed${a.outputTruncated ? ' (cut at the output limit)' : ''}</summary><pre class="output">${esc(cutText(plainText(a.output)))}</pre></details>`)
  }
  p.push('</div>')
  if (e.checks.length) {
    p.push('<ul class="checks">')
    for (const c of e.checks) p.push(checkItem(c))
    p.push('</ul>')
  } else if (e.max > 0) {
    p.push(`<p class="note">Its ${e.max} check${e.max === 1 ? ' was' : 's were'} not run.</p>`)
  }
  p.push('</article>')
  return p.join('\n')
}

function checkItem(g: GradedCheck): string {
  const c = g.result
  const p: string[] = []
  p.push(`<li class="check ${c.ok ? 'ok' : 'bad'}"><span class="mark" aria-label="${c.ok ? 'passed' : 'failed'}">${c.ok ? '✓' : '✗'}</span> <code>${esc(c.check.source)}</code> <span class="sentence">${esc(plainText(c.sentence))}</span>`)
  if (!c.ok && (c.expected !== undefined || c.got !== undefined)) {
    p.push('<dl class="eg">')
    if (c.expected !== undefined) p.push(`<dt>expected</dt><dd>${esc(plainText(c.expected))}</dd>`)
    if (c.got !== undefined) p.push(`<dt>got</dt><dd>${esc(plainText(c.got))}</dd>`)
    p.push('</dl>')
  }
  if (g.hint) p.push(`<p class="hint"><strong>Hint:</strong> ${esc(g.hint)}</p>`)
  if (c.evidence.length) {
    p.push(`<details${c.ok ? '' : ' open'}><summary>evidence</summary><pre class="evidence">${c.evidence.map(evidence).join('\n')}</pre></details>`)
  }
  p.push('</li>')
  return p.join('\n')
}

function evidence(e: Evidence): string {
  const status = e.exitCode === null ? 'killed' : `exit ${e.exitCode}`
  const out = plainText(e.output).replace(/\s+$/, '')
  return `<span class="cmd">$ ${esc(e.command)}</span>   <span class="dim">(on ${esc(e.machine)}, ${status})</span>${out ? `\n${esc(cutText(out))}` : ''}`
}

function runDetails(g: Grade): string {
  const r = g.result
  const rows = r.blocks.map((b) => {
    const why = b.status === 'pass' ? '' : esc(plainText(b.message ?? ''))
    return `<tr class="${b.status}"><td>${b.block.line}</td><td>${b.status}</td><td><code>${esc(describeBlock(b.block, { maxLength: 70 }))}</code></td><td>${why}</td></tr>`
  })
  const error = r.error ? `<p class="problem">${esc(plainText(r.error))}</p>` : ''
  return `<details class="run"><summary>The whole run: ${r.blocks.length} block${r.blocks.length === 1 ? '' : 's'}, ${esc(r.status)}</summary>${error}<table><thead><tr><th>line</th><th>status</th><th>block</th><th>why</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`
}

function cutText(s: string): string {
  return truncateOutput(s, MAX_OUTPUT).text
}

/**
 * Text for HTML: every character that could start markup or end an attribute,
 * then controls and bidi formatting as visible escapes (\x1b, \u202e): a
 * U+202E in a learner's name would reverse the row on the page.
 */
function esc(s: string): string {
  return safeText(s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'))
}

const CSS = `
:root { --pass: #1a7f37; --partial: #9a6700; --fail: #cf222e; --error: #8250df; --line: #d0d7de; --dim: #57606a; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2328; margin: 0; }
header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 16px; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.6em; margin: 0.3em 0; }
h2 { font-size: 1.3em; margin: 1.2em 0 0.4em; }
h3 { font-size: 1.1em; margin: 1em 0 0.3em; }
h4 { font-size: 1em; margin: 0.5em 0 0.2em; }
small, .meta, .dim { color: var(--dim); }
.meta { margin: 0 0 0.8em; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--bg2); }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.pass, .summary .pass { color: var(--pass); }
td.partial, .summary .partial { color: var(--partial); }
td.fail, td.not-run, .summary .fail { color: var(--fail); }
.summary .error { color: var(--error); }
td.total { font-weight: 600; }
td.reason { color: var(--dim); font-size: 0.9em; }
.badge { display: inline-block; min-width: 3.2em; text-align: center; border-radius: 1em; padding: 0 0.6em; color: #fff; font-size: 0.85em; font-weight: 600; background: var(--fail); }
.badge.pass { background: var(--pass); }
.badge.partial { background: var(--partial); }
.badge.error { background: var(--error); }
section.learner { border-top: 2px solid var(--line); margin-top: 2em; }
article.exercise { border-left: 4px solid var(--fail); padding: 0.1em 0 0.4em 14px; margin: 1em 0; }
article.exercise.pass { border-color: var(--pass); }
article.exercise.partial { border-color: var(--partial); }
p.reason { margin: 0.3em 0; font-weight: 500; }
p.reason.fail, p.reason.not-run, p.problem { color: var(--fail); }
p.reason.partial { color: var(--partial); }
p.reason.error { color: var(--error); }
p.note { color: var(--dim); font-size: 0.9em; margin: 0.2em 0; }
pre { background: var(--bg2); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; margin: 0.3em 0; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bg2); padding: 0 4px; border-radius: 4px; }
ul.checks { list-style: none; padding: 0; margin: 0.5em 0; }
li.check { padding: 4px 0; border-bottom: 1px dashed var(--line); }
li.check .mark { display: inline-block; width: 1.2em; font-weight: 700; }
li.check.ok .mark { color: var(--pass); }
li.check.bad .mark { color: var(--fail); }
li.check .sentence { margin-left: 0.3em; }
dl.eg { display: grid; grid-template-columns: max-content 1fr; gap: 0 10px; margin: 0.3em 0 0.3em 1.5em; font-size: 0.92em; }
dl.eg dt { color: var(--dim); }
dl.eg dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; }
p.hint { margin: 0.3em 0 0.3em 1.5em; background: #fff8c5; border: 1px solid #d4a72c66; border-radius: 6px; padding: 4px 8px; }
details { margin: 0.3em 0 0.3em 1.5em; }
details.limits, details.run { margin-left: 0; }
summary { cursor: pointer; color: var(--dim); }
.cmd { font-weight: 600; }
ul.notes { color: var(--dim); font-size: 0.9em; }
p.top { font-size: 0.9em; }
a { color: #0969da; }
footer { border-top: 1px solid var(--line); margin-top: 2em; color: var(--dim); font-size: 0.85em; }
@media print { details { display: block; } details > summary { display: none; } section.learner { break-before: page; } }
`
