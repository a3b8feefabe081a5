// A lab as a learner works through it: tasks. A task is the stretch of the
// lab up to and including the next check block: its prose, the commands to
// type, what they print, and the check that says it is done. Blocks after
// the last check block and the epilogue close the lab. (render-task.ts
// shows a task; this module stays light, for nslab check.)
import type { Lab } from './lab.js'
import { columns } from '../util/text-columns.js'

export interface Task {
  /** 0-based; people see index + 1. */
  index: number
  /** Index in lab.blocks of the check block that ends the task. */
  checkBlock: number
  /** Indexes in lab.blocks of the task's blocks, its check block last. */
  blocks: number[]
  /** A short name: the task's last heading, or its first sentence. */
  title: string
}

export interface LabTasks {
  tasks: Task[]
  /** Indexes in lab.blocks after the last check block, shown with the epilogue. */
  after: number[]
}

export function labTasks(lab: Lab): LabTasks {
  const tasks: Task[] = []
  let pending: number[] = []
  lab.blocks.forEach((b, i) => {
    pending.push(i)
    if (b.kind !== 'check') return
    const blocks = pending
    pending = []
    tasks.push({ index: tasks.length, checkBlock: i, blocks, title: titleOf(lab, blocks) })
  })
  return { tasks, after: pending }
}

function titleOf(lab: Lab, blocks: number[]): string {
  const prose = blocks.map((i) => lab.blocks[i]?.prose ?? '').join('\n\n')
  const headings = [...prose.matchAll(/^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/gm)].map((m) => m[1] ?? '')
  const last = headings[headings.length - 1]
  if (last) return cut(plainMarkdown(last))
  const para = prose
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .find((p) => p !== '' && !p.startsWith('<!--'))
  if (para) {
    const text = plainMarkdown(para)
    // A Chinese sentence ends at its full stop, with no space after it.
    // The full stops of Chinese (。！？：), escaped: the bundle stays ASCII, which the bin reads as latin1, faster.
    const sentence = /^(.+?(?:[.!?:](?=\s|$)|[\u3002\uff01\uff1f\uff1a]))/.exec(text)?.[1] ?? text
    return cut(sentence.replace(/[:.\u3002\uff1a]$/, ''))
  }
  const check = lab.blocks[blocks[blocks.length - 1] ?? -1]
  return check?.kind === 'check' ? cut(check.checks.map((c) => c.source).join(', ')) : 'the next step'
}

/** At most `max` terminal columns (a Chinese character takes two). */
function cut(text: string, max = 60): string {
  if (columns(text) <= max) return text
  let out = ''
  for (const ch of text) {
    if (columns(out + ch) > max - 1) break
    out += ch
  }
  return `${out.trimEnd()}…`
}

/** "Task 2 of 3 · Flush the nat table". */
export function taskHeader(task: Task, total: number): string {
  return `Task ${task.index + 1} of ${total} · ${task.title}`
}

/** Inline Markdown as one plain line, for a title: no markers, links as their text. */
function plainMarkdown(md: string): string {
  return md
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/(\*\*|__)(?=\S)(.+?)\1/g, '$2')
    .replace(/(^|[\s(])([*_])(?=\S)(.+?)\2(?=$|[\s).,:;!?])/g, '$1$3')
    .replace(/\\([\\`*_{}[\]()#+\-.!])/g, '$1')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ')
    .trim()
}
