/**
 * Run tasks with at most `jobs` at once, in order of start. Once `stop()`
 * says so (bail, Ctrl-C), no new task starts; running ones finish.
 */
export async function runPool<T, R>(
  items: T[],
  jobs: number,
  task: (item: T, index: number) => Promise<R>,
  stop: () => boolean = () => false,
): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined)
  let next = 0
  const worker = async () => {
    while (next < items.length && !stop()) {
      const i = next++
      results[i] = await task(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker))
  return results
}
