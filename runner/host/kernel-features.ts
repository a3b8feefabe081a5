// Whether this machine's kernel has the modules a lab needs (front matter
// `kernel: {modules: […]}`). Asked without running anything, cheaply, once a
// process per module, and only for a lab that needs something:
// - /sys/module/NAME: loaded (or built in with parameters): it has it;
// - the running kernel's modules folder (modules.builtin, modules.dep): built
//   in, or loadable (the kernel loads a qdisc's module on first use);
// - its config (/proc/config.gz, /boot/config-RELEASE): =y or =m has it,
//   "is not set" or absent lacks it.
// A machine that tells nothing of these (no config, no modules folder) is
// taken to have it: the lab then runs, and fails for what is really missing.

import { existsSync, readFileSync } from 'node:fs'
import { release } from 'node:os'
import { KERNEL_MODULES } from '../lab/kernel-needs.js'
import type { Lab } from '../lab/lab.js'
import { NslabError } from '../util/nslab-error.js'
import { loadPackage } from '../util/load-package.js'

/** The kernel a lab lacks is run in a VM with one that has it (docs/kernels.md). */
export const KERNEL_WITH_EVERY_MODULE = 'debian:bookworm'

export interface KernelSources {
  release: string
  /** Root of the files asked (tests); default /. */
  root?: string
}

const known = new Map<string, boolean>()
let sources: { config?: string; builtin?: Set<string>; available?: Set<string> } | undefined

/** The modules of `names` this machine's kernel lacks (cached for the process). */
export function missingKernelModules(names: readonly string[], from: KernelSources = { release: release() }): string[] {
  const root = from.root ?? ''
  const cache = from.root === undefined
  return names.filter((name) => {
    const hit = cache ? known.get(name) : undefined
    if (hit !== undefined) return !hit
    const has = kernelHas(name, root, from.release, cache)
    if (cache) known.set(name, has)
    return !has
  })
}

function kernelHas(name: string, root: string, rel: string, cache: boolean): boolean {
  if (existsSync(`${root}/sys/module/${name}`)) return true
  const s = cache ? (sources ??= readSources(root, rel)) : readSources(root, rel)
  if (s.builtin?.has(name) || s.available?.has(name)) return true
  const option = KERNEL_MODULES[name]
  if (s.config !== undefined && option) return new RegExp(`^${option}=[ym]$`, 'm').test(s.config)
  // A modules folder that lists neither: the kernel has no such module.
  if (s.available) return false
  return true
}

function readSources(root: string, rel: string): { config?: string; builtin?: Set<string>; available?: Set<string> } {
  const out: { config?: string; builtin?: Set<string>; available?: Set<string> } = {}
  const text = (path: string, gz = false): string | undefined => {
    try {
      const b = readFileSync(`${root}${path}`)
      // zlib only here, for a lab that needs a module: not in every command's start-up.
      return (gz ? loadPackage<typeof import('node:zlib')>('node:zlib').gunzipSync(b) : b).toString('utf8')
    } catch {
      return undefined
    }
  }
  const config = text('/proc/config.gz', true) ?? text(`/boot/config-${rel}`)
  if (config !== undefined) out.config = config
  const dir = `/lib/modules/${rel}`
  const builtin = text(`${dir}/modules.builtin`)
  if (builtin !== undefined) out.builtin = moduleNames(builtin)
  const dep = text(`${dir}/modules.dep`)
  if (dep !== undefined) out.available = moduleNames(dep.split('\n').map((l) => l.split(':')[0]!).join('\n'))
  return out
}

/** kernel/net/sched/sch_netem.ko.xz → sch_netem (a file's - is the module's _). */
function moduleNames(paths: string): Set<string> {
  const names = new Set<string>()
  for (const line of paths.split('\n')) {
    const m = /([^/\s]+)\.ko(?:\.\w+)?\s*$/.exec(line)
    if (m) names.add(m[1]!.replace(/-/g, '_'))
  }
  return names
}

/**
 * Why this machine cannot run the lab, in one sentence, when its kernel lacks
 * a module the lab needs; undefined when it has them all (or the lab needs none).
 */
export function kernelLacks(lab: Pick<Lab, 'file' | 'kernel'>): string | undefined {
  const needs = lab.kernel?.modules ?? []
  if (needs.length === 0) return undefined
  const missing = missingKernelModules(needs)
  if (missing.length === 0) return undefined
  const what = missing.map((m) => `${m} (${KERNEL_MODULES[m] ?? 'a module'})`).join(' and ')
  return `${lab.file} needs the kernel module${missing.length > 1 ? 's' : ''} ${what}, which this machine's kernel (Linux ${release()}) lacks: run it in a VM on a kernel that has ${missing.length > 1 ? 'them' : 'it'}, nslab run --kernel ${KERNEL_WITH_EVERY_MODULE} ${lab.file}`
}

/** Throws the missing prerequisite (exit 3) when this machine's kernel lacks what the lab needs. */
export function requireKernel(lab: Pick<Lab, 'file' | 'kernel'>): void {
  const why = kernelLacks(lab)
  if (why) throw new NslabError({ code: 'PREREQUISITE', message: why })
}
