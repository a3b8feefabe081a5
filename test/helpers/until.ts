/** Whether `what` comes true within `ms`, looking every 25 ms (a busy machine gets the whole window). */
export async function until(what: () => boolean, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (what()) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return what()
}
