import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from './learner-cli.js'

/** `nslab report merge ARGS…` as a user runs it: the built CLI, no tap hooks in NODE_OPTIONS. */
export function reportMerge(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, join(ROOT, 'dist/bin/nslab.cjs'), 'report', 'merge', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
