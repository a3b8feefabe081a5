import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { sessionDir } from '../learn/session-store.js'

/** The session agent's socket, in the user's folder of sessions (mode 0700: only they can connect). */
export function agentSocketPath(): string {
  return join(sessionDir(), 'agent.sock')
}

/** A socket's path must fit struct sockaddr_un (108 bytes with its NUL). */
export const SOCKET_PATH_MAX = 107

/**
 * The build of the launcher at this path (scripts/build-bin.mjs writes it into
 * the launcher's check client), or undefined when it is none (nslab run from
 * its TypeScript: then there is no client to serve, and no agent).
 */
export function launcherBuild(file: string | undefined): string | undefined {
  if (!file) return undefined
  try {
    return /^my \$build = '([0-9a-f]{16})';$/m.exec(readFileSync(file, 'latin1'))?.[1]
  } catch {
    return undefined
  }
}

/** Whether an agent answers on this socket. */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path)
    s.on('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.on('error', () => resolve(false))
  })
}
