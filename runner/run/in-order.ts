/**
 * Items that arrive in any order (results of work run side by side), handed
 * on in their own order: each as soon as every one before it has arrived.
 */
export function inOrder<T>(write: (item: T, index: number) => void): { put(index: number, item: T): void; next(): number } {
  const waiting = new Map<number, T>()
  let next = 0
  return {
    put(index, item) {
      if (index < next || waiting.has(index)) return
      waiting.set(index, item)
      while (waiting.has(next)) {
        const it = waiting.get(next)!
        waiting.delete(next)
        write(it, next++)
      }
    },
    next: () => next,
  }
}
