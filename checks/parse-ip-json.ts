/**
 * The JSON `ip -j …` prints: an array of objects. An empty output (some
 * iproute2 versions print nothing for an empty list) is an empty array.
 * Throws when it is not that: the caller reports it as what it saw.
 */
export function parseIpJson(stdout: string): Record<string, unknown>[] {
  const text = stdout.trim()
  if (text === '') return []
  const v: unknown = JSON.parse(text)
  if (!Array.isArray(v)) throw new Error('ip -j printed JSON that is not a list')
  return v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null)
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined)
