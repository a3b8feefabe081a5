/** 1000 → "1 s", 1500 → "1.5 s", 250 → "0.25 s". */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`
}
