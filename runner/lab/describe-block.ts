import type { Block } from './lab.js'
import { oneLine } from '../util/plain-text.js'

/**
 * The one-line label of a block that every reporter shows:
 * `step: ip netns exec box1 ping -c 3 203.0.113.10`, `step (on box1): ip
 * link (+2 lines)`, `check: ping box1 internet (+1)`, `output`.
 * Long labels are cut with … at maxLength (default 60).
 */
export function describeBlock(block: Block, opts: { maxLength?: number } = {}): string {
  const max = Math.max(opts.maxLength ?? 60, 8)
  switch (block.kind) {
    case 'script': {
      const lines = contentLines(block.content)
      const notes = [
        ...(block.on !== 'host' ? [`on ${block.on}`] : []),
        ...(block.background ? ['background'] : []),
      ]
      const head = `${block.role}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`
      const more = lines.length > 1 ? ` (+${lines.length - 1} ${lines.length === 2 ? 'line' : 'lines'})` : ''
      return label(head, lines[0] ?? '(empty)', more, max)
    }
    case 'check': {
      const first = block.checks[0]
      const more = block.checks.length > 1 ? ` (+${block.checks.length - 1})` : ''
      return label('check', first ? first.source : '(no checks)', more, max)
    }
    case 'output':
      return 'output'
    case 'shown':
      return 'shown'
  }
}

function contentLines(content: string): string[] {
  return content
    .split('\n')
    .map((l) => oneLine(l))
    .filter((l) => l !== '')
}

/** `head: text more`, cutting text (not the head or the count) to fit max. */
function label(head: string, text: string, more: string, max: number): string {
  const room = max - head.length - 2 - more.length
  const shown = [...oneLine(text)]
  const cut = shown.length > room ? `${shown.slice(0, Math.max(room - 1, 1)).join('').trimEnd()}…` : shown.join('')
  return `${head}: ${cut}${more}`
}
