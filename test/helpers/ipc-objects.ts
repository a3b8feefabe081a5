// The machine's System V IPC objects (shared memory, message queues,
// semaphores), as `ipcs` lists them, without what changes by itself (attach
// counts, bytes in a queue).
import { spawnSync } from 'node:child_process'

export interface IpcObject {
  kind: 'm' | 'q' | 's'
  key: string
  id: string
  owner: string
  perms: string
}

export function ipcObjects(): IpcObject[] {
  const found: IpcObject[] = []
  for (const kind of ['m', 'q', 's'] as const) {
    const out = spawnSync('ipcs', [`-${kind}`], { encoding: 'utf8' }).stdout ?? ''
    for (const line of out.split('\n')) {
      const f = line.trim().split(/\s+/)
      if (!/^0x[0-9a-f]+$/i.test(f[0] ?? '')) continue
      found.push({ kind, key: f[0]!.toLowerCase(), id: f[1]!, owner: f[2]!, perms: f[3]! })
    }
  }
  return found
}

export const ipcText = (o: IpcObject) => `${o.kind} key=${o.key} id=${o.id} owner=${o.owner} perms=${o.perms}`

/** Remove objects (those a broken lab host leaked into the machine). */
export function removeIpc(objs: IpcObject[]): void {
  for (const o of objs) spawnSync('ipcrm', [`-${o.kind}`, o.id], { stdio: 'ignore' })
}
