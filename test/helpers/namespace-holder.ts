// A process of a test's own that holds namespaces (`unshare … sleep 60`), for
// tests that enter them: the pid of the sleep inside, and its end at teardown.
import { readFileSync } from 'node:fs'
import { start } from '../../runner/host/exec.js'

export async function namespaceHolder(t: { teardown(f: () => void): void }, unshareArgs: string[]): Promise<number | undefined> {
  const holder = start({ file: 'unshare', args: [...unshareArgs, 'sleep', '60'], env: { PATH: '/usr/bin:/bin' } })
  t.teardown(() => holder.kill('SIGKILL'))
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 10))
    const inner = holder.pid > 0 ? Number(readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim().split(' ')[0]) || undefined : undefined
    if (inner) return inner
  }
  return undefined
}
