// A TCP listener on the machine's own loopback (127.0.0.1, a random port),
// which no lab may reach: every connection it gets is an escape.
import { createServer, type Socket } from 'node:net'

export interface LoopbackListener {
  port: number
  /** Connections so far, with what each sent. */
  connections(): { from: string; data: string }[]
  close(): Promise<void>
}

export async function loopbackListener(): Promise<LoopbackListener> {
  const got: { from: string; data: string }[] = []
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    const c = { from: `${s.remoteAddress}:${s.remotePort}`, data: '' }
    got.push(c)
    sockets.add(s)
    s.setEncoding('utf8')
    s.on('data', (d: string) => (c.data += d))
    s.on('error', () => undefined)
    s.on('close', () => sockets.delete(s))
    // Answer nothing and hang up soon: a client that waits (curl) is not kept waiting.
    setTimeout(() => s.destroy(), 200).unref()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0 }, resolve)
  })
  const addr = server.address()
  if (!addr || typeof addr === 'string') throw new Error('the listener has no port')
  return {
    port: addr.port,
    connections: () => got.map((c) => ({ ...c })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
