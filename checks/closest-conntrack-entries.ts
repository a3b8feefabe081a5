import type { ConntrackEntry } from './parse-conntrack.js'

/**
 * The entries of a listing, closest first to what a conntrack check asked for:
 * those of the protocol it names (the machine's own IGMP or IPv6 chatter,
 * unreplied like anything else, is never what the learner meant), then those
 * that meet the most of its words, then in the kernel's order.
 */
export function closestConntrackEntries(entries: ConntrackEntry[], words: { holds: (e: ConntrackEntry) => boolean }[], protocol?: string): ConntrackEntry[] {
  const scored = entries.map((e, i) => ({ e, i, same: protocol === undefined || e.proto === protocol ? 1 : 0, met: words.filter((w) => w.holds(e)).length }))
  scored.sort((a, b) => b.same - a.same || b.met - a.met || a.i - b.i)
  return scored.map((s) => s.e)
}
