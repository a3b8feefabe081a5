import type { CheckContext } from '../../checks/check-context.js'
import type { ExecResult } from '../host/exec-result.js'
import type { Lab } from '../lab/lab.js'
import type { Sandbox } from '../host/sandbox.js'
import { NslabError } from '../util/nslab-error.js'
import { parseIpAddr } from '../../checks/parse-ip-addr.js'
import { batchLooks } from './batch-looks.js'

/** What checks use of a lab host: its lab's scripts inside it, nslab's own looks from outside (Sandbox.look). */
export function sandboxCheckContext(
  sandbox: Sandbox,
  lab: Lab,
  extra: { previous?: ExecResult; signal?: AbortSignal; addressOf?: CheckContext['addressOf']; retryPauseMs?: number } = {},
): CheckContext {
  const look = batchLooks((o) => sandbox.look(o))
  return {
    lab,
    exec: (o) => sandbox.exec(o),
    look,
    netnsNames: async () => {
      const t0 = performance.now()
      const names = sandbox.netnsNames()
      const stdout = names.map((n) => `${n}\n`).join('')
      // Read from the lab host's mount table, not by a program the lab could replace; shown as what it stands for.
      const exec: ExecResult = { machine: 'host', command: 'ip netns list', exitCode: 0, stdout, stderr: '', output: stdout, durationMs: performance.now() - t0, timedOut: false }
      return { names, exec }
    },
    addressOf: extra.addressOf ?? ((name, from, as) => sandbox.addressOf(name, from, as)),
    addressesOf: async (machine) => {
      try {
        const r = await look({ machine, script: 'ip -j -4 addr show', timeoutMs: 2000, quick: true })
        if (r.exitCode !== 0) return undefined
        return parseIpAddr(r.stdout).flatMap((e) => e.addresses.filter((a) => a.family === 'inet').map((a) => ({ ip: a.local, prefix: a.prefixlen })))
      } catch (e) {
        // No such machine now (USAGE), or nothing readable: no addresses to go by.
        if (e instanceof NslabError && e.code !== 'USAGE') throw e
        return undefined
      }
    },
    resolveName: async (name, from) => {
      // The lab's own name service: what it maps is lab state, like its routes.
      if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(name)) return undefined
      const r = await sandbox.exec({ machine: from, script: `getent ahostsv4 ${name} | head -n 1`, timeoutMs: 2000 }).catch(() => undefined)
      const ip = r?.stdout.trim().split(/\s+/)[0]
      return ip && /^\d+\.\d+\.\d+\.\d+$/.test(ip) ? ip : undefined
    },
    ...(sandbox.iptables ? { iptables: sandbox.iptables } : {}),
    ...(extra.previous ? { previous: extra.previous } : {}),
    ...(extra.signal ? { signal: extra.signal } : {}),
    ...(extra.retryPauseMs ? { retryPauseMs: extra.retryPauseMs } : {}),
  }
}
