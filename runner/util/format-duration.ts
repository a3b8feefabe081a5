/** A duration as a person reads it: 12 ms, 1.2 s, 42 s, 2 min 5 s. */
export function formatDuration(ms: number): string {
  const t = Number.isFinite(ms) && ms > 0 ? ms : 0
  if (Math.round(t) < 1000) return `${Math.round(t)} ms`
  const tenths = Math.round(t / 100)
  if (tenths < 100) return `${(tenths / 10).toFixed(1)} s`
  const seconds = Math.round(t / 1000)
  if (seconds < 60) return `${seconds} s`
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`
}
