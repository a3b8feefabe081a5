import { readdirSync, readFileSync } from 'node:fs'

/**
 * The qemu processes whose command line names `dir` (a VM test's own folder): this file's
 * VMs, told from any other run's, so that a test can prove it left none behind.
 */
export function qemusUnder(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')
        return (argv[0] ?? '').endsWith('qemu-system-x86_64') && argv.some((a) => a.includes(dir))
      } catch {
        return false
      }
    })
    .map(Number)
}
