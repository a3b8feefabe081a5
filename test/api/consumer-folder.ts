// A folder as a user of nslab has one: nslab installed from its packed
// package (npm pack), with tap, offline from npm's cache. npm resolves
// nothing over the network: the folder's lockfile is written from nslab's own
// (the same versions, whose tarballs `npm ci` of this checkout put in the
// cache), and `npm ci --offline` installs it.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

interface LockEntry {
  version: string
  resolved?: string
  integrity?: string
  link?: boolean
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  [k: string]: unknown
}

/** An environment for npm, tap and node as a user's shell has it: nothing of the tap or npm running this test. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|TAP|NODE_OPTIONS$|NODE_V8_COVERAGE$|_TAPJS)/i.test(k)) continue
    env[k] = v
  }
  return { ...env, NO_COLOR: '1', ...extra }
}

/** Run a program in `cwd`, to its end. */
export function run(cwd: string, file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const r = spawnSync(file, args, { cwd, env: opts.env ?? userEnv(), encoding: 'utf8', timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 })
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` }
}

/** `npm pack` of the checkout as built (dist/ must be current): the tarball's path. */
export function packNslab(root: string, into: string): string {
  const r = run(root, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', into])
  if (r.code !== 0) throw new Error(`npm pack failed:\n${r.output}`)
  const [info] = JSON.parse(r.stdout) as { filename: string }[]
  return join(into, info!.filename)
}

/**
 * Make `dir` a project that depends on the tarball (and on `dev`, taken at the
 * checkout's versions) and install it offline. Returns npm's output.
 */
export function installConsumer(root: string, dir: string, tarball: string, dev: string[]): string {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; license: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> }
  const pk = lock.packages
  const packages: Record<string, LockEntry> = {}
  // Where node would find `name` from the package at `from`: its own node_modules, then up.
  const find = (from: string, name: string): string | undefined => {
    for (let p = from; ; ) {
      const k = `${p ? `${p}/` : ''}node_modules/${name}`
      if (pk[k]) return k
      if (!p) return undefined
      const i = p.lastIndexOf('/node_modules/')
      p = i < 0 ? '' : p.slice(0, i)
    }
  }
  const walk = (from: string, deps: Record<string, string> | undefined) => {
    for (const name of Object.keys(deps ?? {})) {
      const k = find(from, name)
      // An optional or peer dependency the checkout does not have.
      if (!k || packages[k]) continue
      const e = { ...pk[k]! }
      // The checkout's lockfile leaves out where a tarball comes from: the registry's usual address.
      if (!e.resolved && !e.link) e.resolved = `https://registry.npmjs.org/${name}/-/${basename(name)}-${e.version}.tgz`
      packages[k] = e
      walk(k, { ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies })
    }
  }
  const tgz = `file:${basename(tarball)}`
  const devDependencies = Object.fromEntries(dev.map((d) => [d, pk[`node_modules/${d}`]!.version]))
  walk('', { ...pkg.dependencies, ...devDependencies })
  for (const d of dev) packages[`node_modules/${d}`] = { ...packages[`node_modules/${d}`]!, dev: true }
  const root0 = { name: 'consumer', dependencies: { nslab: tgz }, devDependencies }
  const nslab: LockEntry = { version: pkg.version, resolved: tgz, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: root0.dependencies, devDependencies }, null, 2)}\n`)
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages: { '': root0, 'node_modules/nslab': nslab, ...packages } }, null, 2)}\n`)
  const r = run(dir, 'npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'])
  if (r.code !== 0) throw new Error(`npm ci --offline failed:\n${r.output}`)
  return r.output
}

/** The code blocks of a Markdown file that follow a `<!-- run: NAME -->` line, by NAME. */
export function runnableBlocks(markdown: string): Map<string, string> {
  const found = new Map<string, string>()
  for (const m of markdown.matchAll(/^<!-- run: (\S+) -->\n```\w*\n([^]*?)^```$/gm)) found.set(m[1]!, m[2]!)
  return found
}
