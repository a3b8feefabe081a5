import { escapeHtml } from './html-escape.js'
import { pageHtml } from './page-html.js'

export interface InstructorPageOptions {
  title: string
  labs: { id: string; title: string }[]
  learners: string[]
  nonce: string
}

/**
 * The instructor's page of a workshop: the live table (filled and kept
 * current by the page's script from the instructor's socket), a message to
 * everyone, a learner's terminals read-only, and the gradebook of each lab.
 */
export function instructorPageHtml(o: InstructorPageOptions): string {
  const exports = o.labs
    .map(
      (l) => `<li data-gradebook="${escapeHtml(l.id)}"><span>${escapeHtml(l.title)}</span>: ${(['csv', 'json', 'junit', 'html', 'run.json'] as const)
        .map((f) => `<a href="/instructor/gradebook/${encodeURIComponent(l.id)}.${f}" download>${f === 'run.json' ? 'run JSON' : f === 'junit' ? 'JUnit' : f.toUpperCase()}</a>`)
        .join(' · ')}</li>`,
    )
    .join('\n')
  const body = `<header class="bar"><span class="home">nslab</span><h1>${escapeHtml(o.title)}</h1><span class="who">instructor</span><span class="status" data-status data-kind="busy">connecting…</span></header>
<main class="instructor">
<section class="board" aria-label="Learners">
  <p class="legend"><span data-cell="done">done</span> <span data-cell="solved">solved with help</span> <span data-cell="current">current</span> <span data-cell="pending">not yet</span> · <span data-summary></span></p>
  <div class="table-wrap"><table class="workshop-table" data-table><thead></thead><tbody></tbody></table></div>
  <form class="announce" data-announce>
    <label for="announce-text">Message to everyone</label>
    <input id="announce-text" name="text" maxlength="500" autocomplete="off" placeholder="e.g. 5 minutes left">
    <button type="submit">Send</button>
  </form>
  <section class="gradebook"><h2>Gradebook</h2><ul>${exports}</ul>
  <p class="cli-note">One point per task done by the learner; a task done with Solve's help is done but earns none. The same formats as nslab grade.</p></section>
</section>
<section class="watch" data-watch hidden aria-label="A learner's terminal">
  <header><h2 data-watch-title></h2><span class="tabs" data-watch-tabs></span><button type="button" data-watch-reset>Reset this lab</button><button type="button" data-watch-close>Close</button></header>
  <p class="cli-note">Read-only: you see what the learner's terminal shows; your keys go nowhere.</p>
  <div class="term watch-term" data-watch-term></div>
</section>
<div class="notice" data-notice hidden role="status"></div>
</main>`
  return pageHtml({ title: `${o.title} · instructor · nslab`, body, nonce: o.nonce, bodyAttrs: { class: 'instructor-page', 'data-learners': String(o.learners.length) } })
}
