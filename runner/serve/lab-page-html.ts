// A lab's page: its prose as GitHub shows Markdown, cut into its tasks; each
// step a code block with Run (typed into that machine's terminal) and Copy;
// each task ending in a box that says where it stands; one terminal tab per
// machine. The page is whole without its script (the prose reads the same);
// the script brings the terminals and the live task states. Setup commands
// ran before the learner came and solutions are theirs to find: neither is
// shown, as in nslab up and check.
import type { Block, Lab, ScriptBlock } from '../lab/lab.js'
import { machinesOf } from '../lab/lab.js'
import { labTasks, type Task } from '../lab/lab-tasks.js'
import type { LabProse } from '../learn/lab-prose.js'
import { escapeHtml } from './html-escape.js'
import { markdownHtml, type MarkdownHtmlOptions } from './markdown-html.js'
import { pageHtml } from './page-html.js'

export interface LabPageOptions {
  id: string
  lab: Lab
  prose: LabProse
  nonce: string
  /** A relative link in the prose (another lab's file) as this server's address, if it serves it. */
  localLink?: MarkdownHtmlOptions['localLink']
}

export function labPageHtml(opts: LabPageOptions): string {
  const { lab } = opts
  const tasks = labTasks(lab)
  const total = tasks.tasks.length
  const md = { ...(opts.localLink ? { localLink: opts.localLink } : {}) }
  const blocksHtml = (indexes: number[]) => indexes.map((i) => blockHtml(lab, i, opts.prose, md)).join('\n')
  const machines = machinesOf(lab.topology)

  const taskList = tasks.tasks
    .map((t) => `<li data-nav-task="${t.index + 1}" data-state="pending"><a href="#task-${t.index + 1}"><span class="mark" aria-hidden="true"></span>${escapeHtml(t.title)}</a></li>`)
    .join('\n')
  const sections = tasks.tasks.map((t) => taskHtml(lab, t, total, blocksHtml(t.blocks))).join('\n')
  const epilogue = opts.prose.epilogue.length ? markdownHtml(opts.prose.epilogue, md) : ''
  const ending = tasks.after.length || epilogue ? `<section class="ending" id="ending" data-ending>\n${blocksHtml(tasks.after)}\n${epilogue}\n</section>` : ''
  const tabs = machines
    .map((m, i) => `<button type="button" role="tab" id="tab-${escapeHtml(m)}" data-tab="${escapeHtml(m)}" aria-controls="term-${escapeHtml(m)}" aria-selected="${i === 0}" tabindex="${i === 0 ? 0 : -1}">${escapeHtml(m)}</button>`)
    .join('')
  const terms = machines
    .map((m, i) => `<div class="term" role="tabpanel" id="term-${escapeHtml(m)}" aria-labelledby="tab-${escapeHtml(m)}" data-machine="${escapeHtml(m)}"${i === 0 ? '' : ' hidden'}></div>`)
    .join('\n')

  const body = `<header class="bar">
  <a class="home" href="/" title="All labs">nslab</a>
  <h1>${escapeHtml(lab.title)}</h1>
  <div class="progress-wrap"><progress data-progress-bar max="${total}" value="0"></progress><span data-progress>0 of ${total} tasks</span></div>
  <span class="status" data-status role="status">starting the lab host…</span>
  <span class="reset-wrap">
    <button type="button" data-action="reset-ask" title="A fresh lab host; your progress is cleared">Reset</button>
    <span class="confirm" data-confirm hidden>Throw this lab host away and start again?
      <button type="button" data-action="reset" class="danger">Reset</button>
      <button type="button" data-action="reset-cancel">Cancel</button></span>
  </span>
</header>
<div class="notice" data-notice role="alert" hidden></div>
<main class="split">
  <article class="prose" id="prose" tabindex="-1">
    <div class="finish" data-finish hidden>
      <p class="big">★ <span data-finish-text>All ${total} tasks done.</span></p>
      <p><a href="#ending">The end of the lab</a> · <a href="/">Other labs</a></p>
    </div>
    <nav class="tasklist" aria-label="Tasks"><ol>
${taskList}
    </ol></nav>
${sections}
${ending}
    <p class="cli-note" data-cli-note></p>
  </article>
  <section class="terminals" aria-label="Terminals">
    <div class="tabs" role="tablist" aria-label="Machines">${tabs}</div>
${terms}
    <p class="term-help">A shell on each machine of the lab host. F6 moves between the text and the terminal.</p>
  </section>
</main>`
  return pageHtml({ title: `${lab.title} · nslab`, body, nonce: opts.nonce, bodyAttrs: { class: 'lab-page', 'data-lab': opts.id } })
}

function taskHtml(lab: Lab, t: Task, total: number, inner: string): string {
  const n = t.index + 1
  const check = lab.blocks[t.checkBlock]
  const hasHint = check?.kind === 'check' && check.hint !== undefined
  const solvable = t.blocks.some((i) => {
    const b = lab.blocks[i]
    return b?.kind === 'script' && b.role !== 'setup'
  })
  return `<section class="task" id="task-${n}" data-task="${n}" data-state="pending" aria-labelledby="task-${n}-status">
${inner}
<div class="task-box">
  <p class="task-status" id="task-${n}-status"><span class="mark" aria-hidden="true"></span> <span class="task-name">Task ${n} of ${total} · ${escapeHtml(t.title)}</span> <span class="task-word" data-task-word>not yet</span></p>
  <div class="verdict" data-verdict hidden></div>
  <div class="hint" data-hint hidden></div>
  <div class="task-actions">
    <button type="button" data-action="check">Check now</button>
    <button type="button" data-action="hint"${hasHint ? '' : ' data-no-hint'}>Hint</button>
    ${solvable ? '<button type="button" data-action="solve" title="Run the lab\'s own commands for this task in the terminal (counts as solved with help)">Solve</button>' : ''}
  </div>
</div>
</section>`
}

function blockHtml(lab: Lab, i: number, prose: LabProse, md: MarkdownHtmlOptions): string {
  const b = lab.blocks[i]
  if (!b) return ''
  const tokens = prose.blocks[i]
  const text = tokens ? markdownHtml(tokens, md) : ''
  return `${text}${shownBlock(b, i)}`
}

function shownBlock(b: Block, i: number): string {
  switch (b.kind) {
    case 'script':
      if (b.role === 'setup') return ''
      if (b.role === 'solution') return '<p class="your-turn">Your turn: this one is yours to work out. Stuck? Hint and Solve are below.</p>\n'
      return stepHtml(b, i)
    case 'output': {
      const lines = b.lines.map((l) => (l === '...' ? '…' : l.replace(/\{\*\}/g, '…')))
      return `<div class="output"><p class="label">It prints something like:</p><pre><code>${escapeHtml(lines.join('\n'))}</code></pre></div>\n`
    }
    case 'shown':
      return `<pre class="shown"><code>${escapeHtml(b.content.replace(/\n+$/, ''))}</code></pre>\n`
    case 'check':
      return ''
  }
}

function stepHtml(b: ScriptBlock, i: number): string {
  const on = escapeHtml(b.on)
  const notes: string[] = []
  if (b.on !== 'host') notes.push(`on <strong>${on}</strong>`)
  if (b.background) notes.push('keeps running: Run starts it in the background (&amp;)')
  if (typeof b.exit === 'number' && b.exit !== 0) notes.push(`fails on purpose: exit status ${b.exit}`)
  const head = notes.length ? `<p class="step-note">${notes.join(' · ')}</p>` : ''
  return `<div class="step" data-block="${i}">${head}<pre><code>${escapeHtml(b.content.replace(/\n+$/, ''))}</code></pre><div class="step-actions"><button type="button" data-run="${i}" data-on="${on}" title="Type it into the ${on} terminal and press Enter">Run</button><button type="button" data-copy="${i}" title="Copy it">Copy</button></div></div>\n`
}
