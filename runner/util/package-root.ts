import { readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | undefined

/**
 * nslab's own folder (where its package.json, labs/ and dist/ are), found by
 * walking up from this module: it sits at different depths in the sources,
 * in dist/ and in the bundle.
 */
export function packageRoot(): string {
  if (root) return root
  // The VM guest's bundle is CommonJS, where import.meta is empty and __filename is set.
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url)
  let dir = dirname(here)
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name?: string }
      if (pkg.name === 'nslab') return (root = dir)
    } catch {
      // no package.json here: look further up
    }
    const up = dirname(dir)
    if (up === dir) throw new Error(`nslab's package.json is not above ${here}`)
    dir = up
  }
}
