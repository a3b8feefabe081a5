import type { ExecResult } from '../host/exec-result.js'
import type { ScriptBlock } from '../lab/lab.js'
import type { Sandbox } from '../host/sandbox.js'
import { LOG_DIR } from '../host/sandbox-paths.js'

export interface LearnerStepResult {
  ok: boolean
  exec: ExecResult
  /** Why it failed, in one sentence. */
  message?: string
}

/** How long a background script must survive to count as started (as nslab run). */
const SETTLE_S = '0.15'

/**
 * Run a setup, step or solution block on a lab host that outlives this
 * process (nslab up, nslab solve). A background block must go on after nslab
 * exits, so it is started inside the sandbox in a session of its own, its
 * output to a log there, and left to the sandbox's init; it passes if it is
 * still running a moment later.
 */
export async function runLearnerStep(sandbox: Sandbox, block: ScriptBlock, signal?: AbortSignal): Promise<LearnerStepResult> {
  if (block.background) {
    const log = `${LOG_DIR}/background-line-${block.line}.log`
    // The block comes on stdin into a file of the lab host's own: never on a command line.
    const script = [
      `f=$(mktemp ${LOG_DIR}/background-line-${block.line}.XXXXXX.sh)`,
      'cat > "$f"',
      `setsid bash --noprofile --norc -e -o pipefail "$f" </dev/null >>${log} 2>&1 &`,
      '_p=$!',
      `sleep ${SETTLE_S}`,
      'if kill -0 $_p 2>/dev/null; then exit 0; fi',
      'wait $_p',
    ].join('\n')
    const exec = await sandbox.exec({ machine: block.on, script, input: block.content, timeoutMs: 10_000 })
    const shown = { ...exec, command: block.content }
    return exec.exitCode === 0 ? { ok: true, exec: shown } : { ok: false, exec: shown, message: `it exited at once with status ${exec.exitCode}` }
  }
  const running = sandbox.spawn({ machine: block.on, script: block.content, timeoutMs: block.timeoutMs })
  const abort = () => running.kill('SIGKILL')
  signal?.addEventListener('abort', abort, { once: true })
  let exec: ExecResult
  try {
    exec = await running.done
  } finally {
    signal?.removeEventListener('abort', abort)
  }
  if (exec.timedOut) return { ok: false, exec, message: `it did not finish within ${block.timeoutMs / 1000} s` }
  if (block.exit !== 'any' && exec.exitCode !== block.exit) {
    return {
      ok: false,
      exec,
      message: exec.exitCode === null ? `it was killed by ${exec.signal ?? 'a signal'}` : `it exited with status ${exec.exitCode}, expected ${block.exit}`,
    }
  }
  return { ok: true, exec }
}
