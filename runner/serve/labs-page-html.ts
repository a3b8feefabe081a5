import { escapeHtml } from './html-escape.js'
import { pageHtml } from './page-html.js'

export interface LabCard {
  id: string
  title: string
  summary?: string
  tasks: number
  /** The learner's progress, when the lab is up (here or by nslab up). */
  progress?: { done: number; solved: number }
}

/** The first page: every lab served, with how far the learner has got. */
export function labsPageHtml(cards: LabCard[], opts: { nonce: string; problems?: string[]; /** A workshop's learner, and the workshop's title. */ learner?: string; title?: string }): string {
  const items = cards
    .map((c) => {
      const p = c.progress
      const where = !p ? 'not started' : p.done >= c.tasks ? `done${p.solved ? ` (${p.solved} with help)` : ''}` : `${p.done} of ${c.tasks} done`
      const state = !p ? 'new' : p.done >= c.tasks ? 'finished' : 'started'
      return `<li class="lab-card" data-lab-card="${escapeHtml(c.id)}" data-state="${state}">
  <h2><a href="/lab/${encodeURIComponent(c.id)}">${escapeHtml(c.title)}</a></h2>
  ${c.summary ? `<p class="summary">${escapeHtml(c.summary)}</p>` : ''}
  <p class="meta"><span>${c.tasks} task${c.tasks === 1 ? '' : 's'}</span> · <span data-lab-progress>${where}</span></p>
</li>`
    })
    .join('\n')
  const problems = opts.problems?.length
    ? `<div class="notice error"><p>Not served (invalid):</p><ul>${opts.problems.map((p) => `<li><code>${escapeHtml(p)}</code></li>`).join('')}</ul></div>`
    : ''
  const who = opts.learner ? `<span class="who" data-learner="${escapeHtml(opts.learner)}">${escapeHtml(opts.learner)}</span>` : ''
  const body = `<header class="bar"><span class="home">nslab</span><h1>${escapeHtml(opts.title ?? 'Labs')}</h1>${who}</header>
<main class="labs">
${problems}
${cards.length ? `<ul class="lab-cards">\n${items}\n</ul>` : '<p>No labs to serve.</p>'}
<p class="cli-note">Each lab runs on a throwaway lab host of its own, on this machine. The same labs from a terminal: <code>nslab status</code>, <code>nslab check NAME</code>.</p>
</main>`
  return pageHtml({ title: 'Labs · nslab', body, nonce: opts.nonce, bodyAttrs: { class: 'labs-page' } })
}
