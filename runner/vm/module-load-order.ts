import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** A module's name as modprobe spells it: no folder, no .ko(.xz|.zst|.gz), '-' as '_'. */
export function moduleName(path: string): string {
  return (path.split('/').pop() ?? path).replace(/\.ko(?:\.(?:xz|zst|gz))?$/, '').replace(/-/g, '_')
}

/**
 * The module files (paths relative to modulesDir) that loading `names`
 * takes, each after the modules it needs, as modules.dep says. Names the
 * kernel has built in (modules.builtin), or lacks, are left out: a kernel
 * built with 9p in it needs no 9p module.
 */
export function moduleLoadOrder(modulesDir: string, names: string[]): { files: string[]; missing: string[] } {
  const deps = new Map<string, { file: string; needs: string[] }>()
  for (const line of readFileSync(join(modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const m = /^([^:\s]+):\s*(.*)$/.exec(line)
    if (!m) continue
    deps.set(moduleName(m[1]!), { file: m[1]!, needs: m[2]!.split(/\s+/).filter(Boolean) })
  }
  const builtin = new Set<string>()
  try {
    for (const line of readFileSync(join(modulesDir, 'modules.builtin'), 'utf8').split('\n')) if (line) builtin.add(moduleName(line))
  } catch {
    // no list: nothing is known to be built in
  }
  const files: string[] = []
  const missing: string[] = []
  const seen = new Set<string>()
  const visit = (name: string) => {
    const key = moduleName(name)
    if (seen.has(key)) return
    seen.add(key)
    const d = deps.get(key)
    if (!d) {
      if (!builtin.has(key)) missing.push(key)
      return
    }
    // modules.dep lists what a module needs, the deepest last; load those first.
    for (const n of [...d.needs].reverse()) visit(n)
    files.push(d.file)
  }
  for (const n of names) visit(n)
  return { files, missing }
}
