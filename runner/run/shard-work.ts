import { NslabError } from '../util/nslab-error.js'

export interface Shard {
  /** 1-based. */
  index: number
  count: number
}

/** `--shard K/N`: the K-th of N shares, 1 ≤ K ≤ N. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim())
  const index = Number(m?.[1])
  const count = Number(m?.[2])
  if (!m || count < 1 || index < 1 || index > count) {
    throw new NslabError({ code: 'USAGE', message: `--shard takes K/N with 1 ≤ K ≤ N (e.g. 2/4), not "${text}"` })
  }
  return { index, count }
}

/**
 * One share of the work of a matrix: every (cell, lab) pair, cells in the
 * order given and labs in theirs, cut into `count` runs of near-equal length;
 * this shard's run, grouped by cell. Cutting runs rather than dealing pairs
 * out keeps each cell's labs together, so a shard boots as few VMs as it
 * can; the shares of all K together are the whole matrix, each pair once.
 */
export function shardWork<C, L>(cells: C[], labs: L[], shard?: Shard): { cell: C; labs: L[] }[] {
  const total = cells.length * labs.length
  const { index, count } = shard ?? { index: 1, count: 1 }
  const from = Math.floor(((index - 1) * total) / count)
  const to = Math.floor((index * total) / count)
  const out: { cell: C; labs: L[] }[] = []
  for (let i = from; i < to; i++) {
    const cell = cells[Math.floor(i / labs.length)]!
    const lab = labs[i % labs.length]!
    const last = out[out.length - 1]
    if (last && last.cell === cell) last.labs.push(lab)
    else out.push({ cell, labs: [lab] })
  }
  return out
}
