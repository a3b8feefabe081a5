#!/usr/bin/env node
// npm's prepare: builds nslab (the command's bundles in dist/bin, the VM
// guest, and the library with its types in dist/runner and dist/checks)
// wherever npm needs it built: `npm ci` in a checkout, `npm pack`, and
// `npm install -g` of a checkout or a git URL. A folder installed with
// `npm install -g ./nslab` is linked, not packed, and npm installs none of
// its devDependencies there: then this installs the build tools first
// (npm ci, once), as npm itself does for a git dependency. In a packed nslab
// (no sources) there is nothing to build.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
if (!existsSync(join(root, 'runner', 'cli', 'cli.ts'))) process.exit(0)

// The npm that runs this script, or the one on PATH.
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm']
// The outer npm's own settings for a global install (global, prefix) are not this checkout's.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|location|prefix)$/i.test(k)))
const run = (args) => {
  const r = spawnSync(npm[0], [...npm.slice(1), ...args], { cwd: root, stdio: 'inherit', env })
  if (r.status !== 0) {
    console.error(`nslab: \`npm ${args.join(' ')}\` failed in ${root}`)
    process.exit(r.status ?? 1)
  }
}

if (!existsSync(join(root, 'node_modules', 'esbuild', 'package.json'))) {
  console.error(`nslab: installing the tools that build nslab in ${root} (npm ci, once)`)
  run(['ci', '--ignore-scripts', '--no-audit', '--no-fund'])
}
run(['run', '-s', 'build'])
