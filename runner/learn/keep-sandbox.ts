import { resolve } from 'node:path'
import type { LabResult } from '../run/run-event.js'
import type { Sandbox } from '../host/sandbox.js'
import { saveSession } from './session-store.js'

/** --keep: leave a failed lab's host up as a session; say how to enter it. */
export async function keepSandbox(sandbox: Sandbox, result: LabResult): Promise<string> {
  const name = `${result.file.replace(/^.*\//, '').replace(/\.md$/, '')}-${sandbox.pid}`
  saveSession({ name, lab: resolve(result.file), sandbox: sandbox.handle(), createdAt: Date.now(), passed: [], solved: [] })
  return `nslab shell ${name}    (nslab down ${name} when done)`
}
