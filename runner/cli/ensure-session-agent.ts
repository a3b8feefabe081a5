import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { startDaemon } from '../host/exec.js'
import { agentSocketPath, answers, launcherBuild, SOCKET_PATH_MAX } from './agent-socket.js'

/**
 * Start the user's session agent (session-agent.ts) unless one answers: after
 * nslab up, and after an nslab check that came to node (none was running: the
 * agent of a host that was rebooted, of an older nslab, or killed). Only from
 * the launcher (not from nslab's TypeScript, which has no client), and not
 * with NSLAB_AGENT=0.
 */
export async function ensureSessionAgent(): Promise<void> {
  const launcher = process.argv[1]
  if (process.env.NSLAB_AGENT === '0' || !launcherBuild(launcher)) return
  const path = agentSocketPath()
  // A folder whose socket's path would not fit: no agent (it would not start).
  if (Buffer.byteLength(path) > SOCKET_PATH_MAX || (existsSync(path) && (await answers(path)))) return
  // Its own: not a build's (the code cache), nor a test harness's hooks (NODE_OPTIONS), which would outlive the command.
  const { NSLAB_MAKE_CODE_CACHE: _cache, NODE_OPTIONS: _options, ...env } = process.env
  // It runs in /: a folder of sessions named from here must be named from there.
  if (env.NSLAB_STATE_DIR) env.NSLAB_STATE_DIR = resolve(env.NSLAB_STATE_DIR)
  startDaemon(process.execPath, [launcher!, '__agent'], env)
}
