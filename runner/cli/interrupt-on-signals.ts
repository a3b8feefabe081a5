import { setMaxListeners } from 'node:events'
/**
 * Ctrl-C and SIGTERM abort the run: labs stop, sandboxes are torn down, the
 * reports are written, then the process exits 130 or 143. A second signal
 * exits at once; the kernel still ends every sandbox, because each one's
 * pid 1 ends when its stdin (a pipe from this process) closes.
 */
export function interruptOnSignals(): { signal: AbortSignal; dispose(): void; exitCode(): number } {
  const ac = new AbortController()
  // Every lab running at once (prove -j 8, run -j N) and each of its steps listen to it: no leak, no warning.
  setMaxListeners(0, ac.signal)
  let received: NodeJS.Signals | undefined
  const on = (sig: NodeJS.Signals) => {
    if (received) process.exit(sig === 'SIGINT' ? 130 : 143)
    received = sig
    process.stderr.write(`\nnslab: ${sig} received, tearing down…\n`)
    ac.abort(sig)
  }
  process.on('SIGINT', on)
  process.on('SIGTERM', on)
  process.on('SIGHUP', on)
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      process.off('SIGHUP', on)
    },
    exitCode: () => (received === 'SIGINT' ? 130 : received === 'SIGHUP' ? 129 : 143),
  }
}
