import type { Evidence } from '../../checks/check-result.js'
import { blockFailure, skipReason } from '../run/block-failure.js'
import { createColors } from '../util/colors.js'
import { describeBlock } from '../lab/describe-block.js'
import { formatDuration } from '../util/format-duration.js'
import { oneLine, plainText } from '../util/plain-text.js'
import type { Reporter } from './reporter.js'
import type { BlockResult, LabResult, RunEvent } from '../run/run-event.js'
import { safeLine, safeTerminal } from '../util/safe-text.js'
import { summarizeRun } from '../run/summarize-run.js'

/** What the terminal reporter writes to (process.stdout, or a fake in tests). */
export interface TerminalStream {
  write(text: string): unknown
  /** Width of the terminal; live lines are cut to it (default 80). */
  columns?: number
}

export interface TerminalReporterOptions {
  stream: TerminalStream
  /** ANSI colors (see colorEnabled in colors.ts). */
  color: boolean
  /** Show what steps print, and each check's sentence, under each block. */
  verbose: boolean
  /** Live lines of the running labs at the bottom, redrawn in place. */
  isTTY: boolean
  /** How often the live lines redraw on a TTY (default 100 ms); 0: only on events. */
  tickMs?: number
  /** The clock, for tests. */
  now?: () => number
}

/** Labels are cut and padded to this, so that times line up on an 80-column terminal. */
const LABEL_WIDTH = 52
/** Past this many skipped blocks in a row (for one reason), the rest are counted, not listed. */
const SKIPS_LISTED = 3
const INDENT = '      '
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

interface RunningLab {
  file: string
  title: string
  startedAt: number
  /** Blocks the lab will report (all but shown ones); 0 when the lab is unknown. */
  total: number
  blocks: BlockResult[]
  current?: { label: string; startedAt: number }
  sandboxMs?: number
  headerPrinted: boolean
  /** Indexes of the blocks whose lines are out (with -j 1). */
  printed: Set<number>
}

/**
 * The output a person watches. With -j 1 each block's line is printed as it
 * ends; with more jobs, the events of labs interleave, so each lab's lines
 * are printed together when it ends. On a TTY a live line per running lab
 * stays at the bottom, redrawn in place.
 *
 * Names (files, titles, cells, machines) show their controls and bidi
 * formatting as escapes (\x1b, \u202e); outputs are what a screen would show
 * of them (plainText); and every line goes out through safeTerminal, which
 * lets only our own colors through.
 */
export function createTerminalReporter(opts: TerminalReporterOptions): Reporter {
  const { stream, verbose } = opts
  const c = createColors(opts.color)
  const now = opts.now ?? Date.now
  const live = opts.isTTY
  const running = new Map<string, RunningLab>()
  const reported = new Set<LabResult>()
  let streaming = false
  let liveHeight = 0
  let frame = 0
  let closed = false
  let timer: NodeJS.Timeout | undefined

  // ── writing ────────────────────────────────────────────────────────────

  function print(lines: string[]): void {
    if (lines.length === 0) return
    const text = lines.map((l) => `${safeTerminal(l)}\n`).join('')
    stream.write(live && !closed ? clearLive() + text + drawLive() : text)
  }

  function clearLive(): string {
    const s = liveHeight > 0 ? `\x1b[${liveHeight}A\x1b[J` : ''
    liveHeight = 0
    return s
  }

  function drawLive(): string {
    const lines = liveLines()
    liveHeight = lines.length
    return lines.map((l) => `${safeTerminal(l)}\n`).join('')
  }

  function redraw(): void {
    if (live && !closed) stream.write(clearLive() + drawLive())
  }

  function liveLines(): string[] {
    const cols = Math.max((stream.columns ?? 80) - 1, 20)
    const t = now()
    const spin = SPINNER[frame % SPINNER.length] ?? '*'
    return [...running.values()].map((lab) => {
      const progress = lab.total > 0 ? `${lab.blocks.length}/${lab.total}` : `${lab.blocks.length}`
      const doing =
        lab.current?.label ??
        (lab.sandboxMs === undefined && lab.blocks.length === 0
          ? 'starting sandbox…'
          : lab.total > 0 && lab.blocks.length >= lab.total
            ? 'cleaning up…'
            : '…')
      const time = `  ${formatDuration(t - lab.startedAt)}`
      const text = cut(`${safeLine(lab.file)}  ${progress}  ${safeLine(doing)}`, cols - 2 - time.length)
      return `${c.cyan(spin)} ${text}${c.dim(time)}`
    })
  }

  // ── what a lab looks like ──────────────────────────────────────────────

  // The cell is in the lab's last line only: with -j 1 the header is out
  // before the LabResult (which alone carries the cell) exists.
  function header(file: string, title: string): string {
    return `${c.bold(safeLine(file))}${title ? `  ${safeLine(title)}` : ''}`
  }

  function sandboxLine(ms: number): string {
    return `  ${c.dim('·')} ${'sandbox up'.padEnd(LABEL_WIDTH)}  ${c.dim(formatDuration(ms))}`
  }

  function blockLines(r: BlockResult): string[] {
    const label = safeLine(describeBlock(r.block, { maxLength: LABEL_WIDTH }))
    if (r.status === 'skip') {
      const why = skipReason(r)
      return [`  ${c.yellow('-')} ${label} ${c.dim(`(skipped${why ? `: ${why}` : ''})`)}`]
    }
    const symbol = r.status === 'pass' ? c.green('✓') : c.red('✗')
    const lines = [`  ${symbol} ${label.padEnd(LABEL_WIDTH)}  ${c.dim(formatDuration(r.durationMs))}`]
    if (r.status === 'fail') lines.push(...failureLines(r))
    else if (verbose) lines.push(...verboseLines(r))
    return lines
  }

  function verboseLines(r: BlockResult): string[] {
    if (r.block.kind === 'script' && r.exec) return textLines(r.exec.output, INDENT, Infinity).map(c.dim)
    if (r.block.kind === 'check') {
      return (r.checks ?? []).map(
        (k) => `${INDENT}${k.ok ? c.green('✓') : c.red('✗')} ${oneLine(k.check.source)}  ${c.dim(oneLine(k.sentence))}`,
      )
    }
    return []
  }

  function failureLines(r: BlockResult): string[] {
    const f = blockFailure(r)
    const out: string[] = []
    if (r.block.kind === 'check' && f.failedChecks.length > 0) {
      const several = (r.checks?.length ?? 0) > 1
      for (const k of f.failedChecks) {
        let ind = INDENT
        if (several) {
          out.push(`${INDENT}${c.red('✗')} ${oneLine(k.check.source)}  ${c.dim(`line ${k.check.line}`)}`)
          ind += '  '
        }
        out.push(ind + oneLine(k.sentence))
        out.push(...expectedGot(k.expected, k.got, ind))
        for (const e of k.evidence) out.push(...evidenceLines(e, ind, verbose ? Infinity : 8))
      }
    } else if (r.block.kind === 'output') {
      out.push(INDENT + oneLine(f.message))
      out.push(...expectedGot(f.expected, f.got, INDENT))
    } else {
      out.push(INDENT + oneLine(f.message))
      for (const e of f.evidence) out.push(...evidenceLines(e, INDENT, verbose ? Infinity : 20))
    }
    if (f.hint) out.push(`${INDENT}${c.yellow('hint:')} ${oneLine(f.hint)}`)
    return out
  }

  function expectedGot(expected: string | undefined, got: string | undefined, ind: string): string[] {
    if (expected === undefined && got === undefined) return []
    const short = (s: string | undefined) => s === undefined || (!s.trimEnd().includes('\n') && s.length <= 60)
    if (short(expected) && short(got)) {
      const parts = [
        ...(expected !== undefined ? [`${c.dim('expected:')} ${oneLine(expected)}`] : []),
        ...(got !== undefined ? [`${c.dim('got:')} ${oneLine(got)}`] : []),
      ]
      return [ind + parts.join('   ')]
    }
    const max = verbose ? Infinity : 12
    return [
      ...(expected !== undefined ? [`${ind}${c.dim('expected:')}`, ...textLines(expected, `${ind}  `, max)] : []),
      ...(got !== undefined ? [`${ind}${c.dim('got:')}`, ...textLines(got, `${ind}  `, max)] : []),
    ]
  }

  function evidenceLines(e: Evidence, ind: string, maxLines: number): string[] {
    const command = plainText(e.command).trim().split('\n')
    const shown = verbose ? command : command.slice(0, 1)
    const hidden = command.length - shown.length
    const more = hidden > 0 ? c.dim(` (+${hidden} ${plural(hidden, 'line')})`) : ''
    const status = e.exitCode === null ? 'killed' : `exit ${e.exitCode}`
    const where = c.dim(`(on ${safeLine(e.machine)}, ${status})`)
    const first = `${ind}${c.dim('$')} ${shown[0] ?? ''}${more}   ${where}`
    return [first, ...shown.slice(1).map((l) => `${ind}${c.dim('>')} ${l}`), ...textLines(e.output, `${ind}  `, maxLines).map(c.dim)]
  }

  function labTail(r: LabResult): string[] {
    const out: string[] = []
    if (r.error) {
      const [first = '', ...rest] = plainText(r.error).trimEnd().split('\n')
      out.push(`  ${c.red('!')} ${first}`, ...rest.map((l) => `    ${l}`))
    }
    if (r.kept) out.push(`  ${c.cyan('kept:')} ${oneLine(r.kept)}`)
    const name = `${c.bold(safeLine(r.file))}${r.cell ? c.dim(` [${safeLine(r.cell)}]`) : ''}`
    const n = r.blocks.length
    const failed = r.blocks.filter((b) => b.status === 'fail').length
    const passed = r.blocks.filter((b) => b.status === 'pass').length
    const skipped = n - failed - passed
    const skipNote = skipped > 0 ? `, ${skipped} skipped` : ''
    const time = c.dim(`(${formatDuration(r.durationMs)})`)
    if (r.status === 'skip') {
      out.push(`  ${c.yellow('-')} ${safeLine(r.skipped ?? 'not run here')}`, `${c.yellow('-')} ${name}  ${c.yellow('skipped')}`)
    } else if (r.status === 'pass') {
      out.push(`${c.green('✓')} ${name}  ${passed} ${plural(passed, 'block')} passed${skipNote}  ${time}`)
    } else if (r.status === 'fail') {
      out.push(`${c.red('✗')} ${name}  ${failed} of ${n} ${plural(n, 'block')} failed${skipNote}  ${time}`)
    } else {
      const after = n > 0 ? ` after ${n} ${plural(n, 'block')}` : ''
      out.push(`${c.red('✗')} ${name}  ${c.red('error')}${after}  ${time}`)
    }
    out.push('')
    return out
  }

  /**
   * Lines of blocks in order. After a failure every later block is skipped
   * for the same reason: a long run of those shows its first and a count.
   */
  function blockListLines(results: BlockResult[]): string[] {
    const out: string[] = []
    for (let i = 0; i < results.length; ) {
      const r = results[i]!
      let j = i + 1
      if (r.status === 'skip') while (results[j]?.status === 'skip' && skipReason(results[j]!) === skipReason(r)) j++
      if (j - i > SKIPS_LISTED && !verbose) {
        const why = skipReason(r)
        out.push(...blockLines(r), `  ${c.yellow('-')} … ${j - i - 1} more blocks ${c.dim(`(skipped${why ? `: ${why}` : ''})`)}`)
      } else {
        for (const b of results.slice(i, j)) out.push(...blockLines(b))
      }
      i = j
    }
    return out
  }

  function wholeLab(r: LabResult, sandboxMs?: number): string[] {
    return [
      header(r.file, r.title),
      ...(verbose && sandboxMs !== undefined ? [sandboxLine(sandboxMs)] : []),
      ...blockListLines(r.blocks),
      ...labTail(r),
    ]
  }

  function summary(results: LabResult[], durationMs: number): string {
    const { labs } = summarizeRun(results)
    const parts = [
      labs.passed > 0 ? c.green(`${labs.passed} passed`) : `${labs.passed} passed`,
      ...(labs.failed > 0 ? [c.red(`${labs.failed} failed`)] : []),
      ...(labs.errors > 0 ? [c.red(`${labs.errors} ${plural(labs.errors, 'error')}`)] : []),
      ...(labs.skipped > 0 ? [c.yellow(`${labs.skipped} skipped`)] : []),
    ]
    return `${labs.total} ${plural(labs.total, 'lab')}: ${parts.join(', ')}  ${c.dim(`(${formatDuration(durationMs)})`)}`
  }

  function endLab(r: LabResult): void {
    if (reported.has(r)) return
    reported.add(r)
    const lab = running.get(r.file)
    running.delete(r.file)
    if (streaming && lab?.headerPrinted) {
      print([...blockListLines(r.blocks.filter((b) => !lab.printed.has(b.index))), ...labTail(r)])
    } else {
      print(wholeLab(r, lab?.sandboxMs))
    }
  }

  // ── events ─────────────────────────────────────────────────────────────

  return {
    onEvent(event: RunEvent): void {
      if (closed) return
      switch (event.type) {
        case 'run-start':
          streaming = event.jobs <= 1
          if (live && (opts.tickMs ?? 100) > 0 && !timer) {
            timer = setInterval(() => {
              frame++
              redraw()
            }, opts.tickMs ?? 100)
            timer.unref()
          }
          return
        case 'lab-start': {
          const lab: RunningLab = {
            file: event.file,
            title: event.lab?.title ?? '',
            startedAt: now(),
            total: event.lab ? event.lab.blocks.filter((b) => b.kind !== 'shown').length : 0,
            blocks: [],
            headerPrinted: false,
            printed: new Set(),
          }
          running.set(event.file, lab)
          if (streaming) {
            lab.headerPrinted = true
            print([header(lab.file, lab.title)])
          } else redraw()
          return
        }
        case 'sandbox-up': {
          const lab = running.get(event.file)
          if (lab) lab.sandboxMs = event.durationMs
          if (streaming && verbose && lab) print([sandboxLine(event.durationMs)])
          else redraw()
          return
        }
        case 'block-start': {
          const lab = running.get(event.file)
          if (lab) lab.current = { label: describeBlock(event.block), startedAt: now() }
          redraw()
          return
        }
        case 'block-end': {
          const lab = running.get(event.file)
          if (lab) {
            delete lab.current
            lab.blocks.push(event.result)
          }
          // Skipped blocks wait: a run of them is shown as one (blockListLines).
          if (streaming && lab?.headerPrinted && event.result.status !== 'skip') {
            const waiting = lab.blocks.filter((b) => !lab.printed.has(b.index))
            for (const b of waiting) lab.printed.add(b.index)
            print(blockListLines(waiting))
          } else redraw()
          return
        }
        case 'lab-end':
          endLab(event.result)
          return
        case 'run-end':
          for (const r of event.results) endLab(r)
          print([summary(event.results, event.durationMs)])
          return
      }
    },

    async close(): Promise<void> {
      if (closed) return
      if (timer) clearInterval(timer)
      timer = undefined
      // Labs still running were cut short (Ctrl-C): show what they did.
      const lines: string[] = []
      for (const lab of running.values()) {
        if (!lab.headerPrinted || !streaming) lines.push(header(lab.file, lab.title))
        lines.push(...blockListLines(lab.blocks.filter((b) => !lab.printed.has(b.index))))
        lines.push(`${c.red('✗')} ${c.bold(safeLine(lab.file))}  ${c.red('interrupted')}  ${c.dim(`(${formatDuration(now() - lab.startedAt)})`)}`, '')
      }
      running.clear()
      print(lines)
      if (live && liveHeight > 0) stream.write(clearLive())
      closed = true
    },
  }
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`
}

/** Cut text to width characters, with … at the end when cut. */
function cut(text: string, width: number): string {
  const chars = [...text]
  return chars.length <= width ? text : `${chars.slice(0, Math.max(width - 1, 0)).join('')}…`
}

/**
 * Lines of a process's text, indented; past maxLines, the first third and
 * the rest from the end, where errors usually are.
 */
function textLines(text: string, indent: string, maxLines: number): string[] {
  const clean = plainText(text).replace(/\s+$/, '')
  if (clean === '') return []
  const lines = clean.split('\n')
  if (lines.length > maxLines) {
    const head = Math.floor((maxLines - 1) / 3)
    const tail = maxLines - 1 - head
    const cutCount = lines.length - head - tail
    lines.splice(head, cutCount, `… ${cutCount} more lines`)
  }
  return lines.map((l) => (l.trim() === '' ? '' : indent + l))
}
