// A failing task's verdict for the page: what `nslab check` prints
// (format-verdict.ts), as data the page lays out. Text from the lab host
// (outputs) is plain text with controls and bidi formatting shown as escapes;
// the page puts it in the DOM as text, never as markup.
import type { TaskVerdict } from '../learn/judge-task.js'
import { oneLine, plainText } from '../util/plain-text.js'
import { safeLine, safeText } from '../util/safe-text.js'
import type { CheckView, VerdictView } from './page-state.js'

/** Lines of a command's output shown as evidence: its end, where the answer is (as nslab check). */
const EVIDENCE_LINES = 6
/** Characters of one evidence line shown. */
const LINE_CHARS = 300

export function verdictView(v: TaskVerdict): VerdictView {
  const checks = v.results.map((r): CheckView => {
    const view: CheckView = { ok: r.ok, sentence: safeLine(oneLine(r.sentence)) }
    if (!r.ok && r.expected !== undefined && r.got !== undefined && r.expected !== r.got) {
      view.expected = safeLine(oneLine(r.expected))
      view.got = safeLine(oneLine(r.got))
    }
    const e = r.evidence[0]
    if (!r.ok && e) {
      const lines = plainText(e.output).replace(/\s+$/, '').split('\n').filter((l) => l.trim() !== '')
      const shown = lines.slice(-EVIDENCE_LINES).map((l) => safeText(l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS)}…` : l))
      view.command = {
        machine: safeLine(e.machine),
        text: safeLine(oneLine(e.command)),
        status: e.exitCode === null ? 'killed' : `exit ${e.exitCode}`,
        output: shown,
        before: lines.length - shown.length,
      }
    }
    return view
  })
  // Failing checks first, as nslab check shows them.
  checks.sort((a, b) => Number(a.ok) - Number(b.ok))
  return { checks, notJudged: v.skipped.map((k) => safeLine(k.source)) }
}
