import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { waitForExit } from '../host/exec.js'
import { sessionNames } from '../learn/session-store.js'
import { agentSocketPath } from './agent-socket.js'

/**
 * Once no lab is up: ask the user's session agent to end, and wait until it
 * has (it says its pid), so that nslab down leaves no process of nslab's
 * behind. It would end by itself within half a second; this makes it now.
 */
export async function stopSessionAgent(): Promise<void> {
  if (sessionNames().length) return
  const path = agentSocketPath()
  if (!existsSync(path)) return
  const said = await new Promise<string>((resolve) => {
    let text = ''
    const s = connect(path, () => s.end('stop\0\0'))
    s.setEncoding('utf8')
    s.on('data', (d: string) => (text += d))
    s.on('close', () => resolve(text))
    s.on('error', () => resolve(text))
  })
  const pid = Number(/^bye (\d+)$/m.exec(said)?.[1])
  if (!pid) return
  await waitForExit(pid)
}
