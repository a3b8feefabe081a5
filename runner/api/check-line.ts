import { runCheck } from '../../checks/run-check.js'
import type { CheckResult } from '../../checks/check-result.js'
import type { ExecResult } from '../host/exec-result.js'
import type { Sandbox } from '../host/sandbox.js'
import type { Lab } from '../lab/lab.js'
import { machinesOf } from '../lab/lab.js'
import { parseCheck } from '../lab/parse-check.js'
import { sandboxCheckContext } from '../run/sandbox-check-context.js'
import { suggestion } from '../util/did-you-mean.js'
import { NslabError } from '../util/nslab-error.js'

/**
 * One line of a ```check block, judged on a lab host as a lab's check block
 * judges it (same retries, sentences and evidence). A line the lab format
 * refuses is an NslabError with lint's message; a check that does not hold is
 * a result with ok false, never an exception.
 */
export async function checkLine(sandbox: Sandbox, lab: Lab, line: string, extra: { previous?: ExecResult; signal?: AbortSignal } = {}): Promise<CheckResult> {
  if (typeof line !== 'string' || line.includes('\n')) {
    throw new NslabError({ code: 'USAGE', message: 'a check is one line of a check block, e.g. ping box1 internet' })
  }
  const parsed = parseCheck(line, 1)
  const machines = machinesOf(lab.topology)
  let problem = parsed.problem
  if (parsed.check && problem === undefined) {
    for (const i of parsed.machineArgs) {
      const name = parsed.check.args[i]!
      if (!machines.includes(name)) {
        problem = `unknown machine "${name}"${suggestion(name, machines) || `; this lab host has ${machines.join(', ')}`}`
        break
      }
    }
  }
  if (problem !== undefined || !parsed.check) {
    throw new NslabError({ code: 'LAB_INVALID', message: `check "${line.trim()}": ${problem ?? 'not a check'}` })
  }
  return await runCheck(parsed.check, sandboxCheckContext(sandbox, lab, extra))
}
