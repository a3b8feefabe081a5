#!/usr/bin/env node
// Builds the CLI bundle (dist/bin/nslab.js, dist/bin/grade-worker.js and their
// code-split chunks) with esbuild, as `esbuild … --splitting` on the command
// line did, and two things a command line cannot say (both for start-up:
// `nslab lint` and `nslab check` load the YAML parser for every lab):
//
// - `yaml` from its ES module build (yaml/browser/dist), not its CommonJS one:
//   esbuild drops what nslab does not use, and V8 compiles it once, without
//   CommonJS wrappers (a lint costs about 30 ms less CPU here). That build
//   differs from the Node one only where it cannot count on Node, and those
//   places get Node's behaviour back below (each replacement must match, or
//   the build fails: a new yaml release is then read again, not guessed).
// - The `require` that ES modules lack (for the CommonJS packages inside) is
//   declared only in the chunks that use it, not in every chunk.
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The commands that build or use a lab host: they read the code cache made by a run. */
const RUN_CACHE_COMMANDS = ['run', 'prove', 'grade', 'up', 'check', 'solve', 'reset']
/**
 * The lab whose run makes that cache: a shipped one whose checks are of most kinds (addr, exit, http,
 * master, netns, ping, route, rule, sh, stdout, sysctl), not the benchmark's own small lab.
 */
const CACHE_LAB = join(ROOT, 'labs/netns-from-scratch.md')
const OUT = join(ROOT, 'dist/bin')
const BANNER = "import { createRequire as __nslabRequire } from 'node:module'; const require = __nslabRequire(import.meta.url);"
const YAML_ESM = join(ROOT, 'node_modules/yaml/browser/dist')

/** What yaml's Node build does that its browser build leaves out, as [file, text there, text with Node's behaviour]. */
const NODE_BEHAVIOUR = [
  // Warnings as process warnings ("(node:PID) Warning: …"), as the Node build emits them.
  ['log.js', 'console.warn(warning);', "if (typeof process.emitWarning === 'function') process.emitWarning(warning); else console.warn(warning);"],
  // !!binary is a Buffer, as in the Node build.
  ['schema/yaml-1.1/binary.js', "if (typeof atob === 'function') {", "if (typeof Buffer === 'function') {\n            return Buffer.from(src, 'base64');\n        }\n        else if (typeof atob === 'function') {"],
  [
    'schema/yaml-1.1/binary.js',
    "if (typeof btoa === 'function') {",
    "if (typeof Buffer === 'function') {\n            str = buf instanceof Buffer ? buf.toString('base64') : Buffer.from(buf.buffer).toString('base64');\n        }\n        else if (typeof btoa === 'function') {",
  ],
  // yaml's own debugging switches (LOG_STREAM, LOG_TOKENS), read from the environment as in the Node build.
  ['compose/composer.js', '*next(token) {\n', '*next(token) {\n        if (process.env.LOG_STREAM)\n            console.dir(token, { depth: null });\n'],
  ['parse/parser.js', "import { tokenType } from './cst.js';", "import { prettyToken, tokenType } from './cst.js';"],
  ['parse/parser.js', 'this.source = source;\n', "this.source = source;\n        if (process.env.LOG_TOKENS)\n            console.log('|', prettyToken(source));\n"],
]

/** @type {import('esbuild').Plugin} */
const yamlEsm = {
  name: 'yaml-esm',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: join(YAML_ESM, 'index.js') }))
    const files = [...new Set(NODE_BEHAVIOUR.map(([f]) => join(YAML_ESM, f)))]
    b.onLoad({ filter: /[\\/]yaml[\\/]browser[\\/]dist[\\/].*\.js$/ }, (args) => {
      if (!files.includes(args.path)) return undefined
      let text = readFileSync(args.path, 'utf8')
      for (const [f, from, to] of NODE_BEHAVIOUR) {
        if (join(YAML_ESM, f) !== args.path) continue
        if (text.split(from).length !== 2) throw new Error(`scripts/build-bin.mjs: yaml's ${f} no longer has ${JSON.stringify(from)} once: read yaml's Node and browser builds again`)
        text = text.replace(from, to)
      }
      return { contents: text, loader: 'js' }
    })
  },
}

rmSync(OUT, { recursive: true, force: true })
await build({
  entryPoints: { nslab: join(ROOT, 'runner/cli/cli.ts'), 'grade-worker': join(ROOT, 'runner/grade/grade-worker-main.ts') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  outdir: OUT,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  banner: { js: BANNER },
  plugins: [yamlEsm],
})

// Creating a require costs each chunk that loads about 0.1 ms: only where it is used.
for (const dir of [OUT, join(OUT, 'chunks')]) {
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.js')) continue
    const file = join(dir, name)
    const text = readFileSync(file, 'utf8')
    const hashbang = /^#!.*\n/.exec(text)?.[0] ?? ''
    if (!text.startsWith(BANNER, hashbang.length)) throw new Error(`${file}: no banner`)
    const rest = text.slice(hashbang.length + BANNER.length)
    if (!/\brequire\b/.test(rest)) writeFileSync(file, hashbang + rest.replace(/^\n/, ''))
  }
}

// The whole CLI again as one CommonJS file, for the launcher below to compile
// with V8's code cache: an ES module cannot be given one on Node 20 (no
// module.enableCompileCache before 22), and the loader's work for ~120
// chunks is gone as well. Measured: `nslab lint` 30-40 ms sooner.
// And `nslab run` alone as another (run-cli.ts): some 40% less to read and
// to take from the cache before a lab host starts (bench/README.md).
/** Build ENTRY as the one CommonJS file NAME.cjs the launcher compiles; its text. */
async function singleFile(name, entry) {
  await build({
    entryPoints: { [name]: join(ROOT, entry) },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    outdir: OUT,
    outExtension: { '.js': '.cjs' },
    logLevel: 'warning',
    // packageRoot() reads __filename in CommonJS.
    logOverride: { 'empty-import-meta': 'silent' },
    plugins: [yamlEsm],
  })
  // The launcher wraps it as Node wraps a CommonJS module, where a #! line is no JavaScript. It reads the file
  // as latin1 (half the time of UTF-8 for 750 kB): esbuild escapes what is not ASCII in strings, not in regexes.
  const file = join(OUT, `${name}.cjs`)
  // A dynamic import() in code compiled from the cache finds no import callback (Node 20: "A dynamic import
  // callback was not specified"): the few of Node's own modules imported late are required instead.
  const text = readFileSync(file, 'utf8')
    .replace(/^#!.*\n/, '')
    .replace(/\bimport\("(node:[a-z_/]+)"\)/g, 'Promise.resolve(require("$1"))')
  const dynamic = /\bimport\(/.exec(text)
  if (dynamic) throw new Error(`scripts/build-bin.mjs: ${name}.cjs has an import() the launcher cannot serve (${JSON.stringify(text.slice(Math.max(0, dynamic.index - 60), dynamic.index + 40))})`)
  const notAscii = /[^\x00-\x7f]/.exec(text)
  if (notAscii) throw new Error(`scripts/build-bin.mjs: ${name}.cjs is not ASCII (${JSON.stringify(text.slice(Math.max(0, notAscii.index - 60), notAscii.index + 20))}): escape it in the source`)
  writeFileSync(file, text)
  return text
}
const mainText = await singleFile('nslab-main', 'runner/cli/cli.ts')
const runText = await singleFile('nslab-run', 'runner/cli/run-cli.ts')

// The command's first file (package.json's bin): `nslab --version` answers from
// it, before Node's ES module loader starts (some 20–25 ms of a 45-ms answer
// here); help from the code-split ES modules, which load almost nothing for it;
// every other command from nslab-main.cjs, compiled with the code cache made
// below when this Node accepts it (the same V8, the same flags), else as usual.
// The cache is made here, at build time, beside the code: it is code, and a
// cache anyone else could write would be code they could make nslab run.
//
// Its first lines are also a shell script: `nslab check [NAME] [-v]` is asked
// of the user's session agent by the perl client (runner/cli/check-client.pl,
// kept below in a comment) when one is running (runner/cli/session-agent.ts);
// everything else, and check whenever the client cannot, runs node on this same
// file. To sh, line 2 is `:` then the dispatch (it never reads further); to
// JavaScript it is a string then a comment; perl -x starts at the #!perl line.
// The build's id tells a client from an agent of another build.
//
// sh also starts node without NODE_EXTRA_CA_CERTS: node 20 reads and parses
// every certificate of that file as it starts, before any of nslab's code
// (Debian's bundle, set by many CI images and corporate machines: 35 ms of a
// 100-ms start here), and nslab's node makes no TLS connection. The value
// goes under another name, and the JavaScript below puts it back, so that
// every process nslab starts (which may make one) sees it as the user set it.
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const client = readFileSync(join(ROOT, 'runner/cli/check-client.pl'), 'utf8')
if (client.includes('*/')) throw new Error('scripts/build-bin.mjs: runner/cli/check-client.pl must not hold */ (it goes in a comment)')
const buildId = createHash('sha256').update(mainText).update(runText).update(client).update(version).digest('hex').slice(0, 16)
writeFileSync(
  join(OUT, 'nslab.cjs'),
  `#!/bin/sh
":" //; case $1 in check) [ "$NSLAB_AGENT" != 0 ] && [ -x /usr/bin/perl ] && exec /usr/bin/perl -x "$0" "$@";; esac; if [ -n "\${NODE_EXTRA_CA_CERTS+x}" ]; then export _NSLAB_NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"; unset NODE_EXTRA_CA_CERTS; else unset _NSLAB_NODE_EXTRA_CA_CERTS; fi; exec node "$0" "$@"
/*
${client.replace("'@@NSLAB_BUILD@@'", `'${buildId}'`)}*/
'use strict'
// Made by scripts/build-bin.mjs: --version here, help from nslab.js, run from nslab-run.cjs, everything else from nslab-main.cjs.
// The lines above moved NODE_EXTRA_CA_CERTS aside for node's own start; back now, for what nslab starts.
if (process.env._NSLAB_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env._NSLAB_NODE_EXTRA_CA_CERTS
  delete process.env._NSLAB_NODE_EXTRA_CA_CERTS
}
const a = process.argv.slice(2)
if (Number(process.versions.node.split('.')[0]) < 20) import('./nslab.js') // which says what Node nslab needs
else if (a.length === 1 && (a[0] === '--version' || a[0] === '-v' || a[0] === 'version')) process.stdout.write(${JSON.stringify(`${version}\n`)})
else if (a.length === 0 || a[0] === '--help' || a[0] === '-h' || a[0] === 'help') import('./nslab.js')
else {
  const { readFileSync, writeFileSync } = require('node:fs')
  const { join } = require('node:path')
  const Module = require('node:module')
  const vm = require('node:vm')
  // NSLAB_MAKE_CODE_CACHE: 1 makes the cache of the bundle this command reads, main that of nslab-main.cjs for a run (the build's).
  const make = process.env.NSLAB_MAKE_CODE_CACHE === '1' || process.env.NSLAB_MAKE_CODE_CACHE === 'main'
  const alone = a[0] === 'run' && process.env.NSLAB_MAKE_CODE_CACHE !== 'main'
  const file = join(__dirname, alone ? 'nslab-run.cjs' : 'nslab-main.cjs')
  // A command that runs a lab host has a cache of its own (made by a run), else the lint's; the lint's where there is none.
  const names = alone ? ['nslab-run.cache'] : ${JSON.stringify(RUN_CACHE_COMMANDS)}.includes(a[0]) ? ['nslab-main.run.cache', 'nslab-main.cache'] : ['nslab-main.cache']
  let cachedData, used = names[0]
  if (!make) for (const n of names) try { cachedData = readFileSync(join(__dirname, n)); used = n; break } catch {}
  // The bundle has no import() (the build made sure): no import callback is needed.
  const script = new vm.Script(Module.wrap(readFileSync(file, 'latin1')), { filename: file, cachedData })
  if (make) process.once('exit', () => writeFileSync(join(__dirname, used), script.createCachedData()))
  if (process.env.NSLAB_DEBUG === 'code-cache') process.stderr.write('nslab: code cache ' + (cachedData === undefined ? 'absent' : (script.cachedDataRejected ? 'rejected' : 'accepted') + ' (' + used + ')') + '\\n')
  const m = { exports: {} }
  script.runInThisContext()(m.exports, Module.createRequire(file), m, file, __dirname)
}
`,
  { mode: 0o755 },
)

// The code cache: made by a lint of the shipped labs (the parser, the format's
// checks, the reporters' common parts), in a process of its own.
const made = spawnSync(process.execPath, [join(OUT, 'nslab.cjs'), 'lint', ...readdirSync(join(ROOT, 'labs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'labs', f))], {
  env: { ...process.env, NSLAB_MAKE_CODE_CACHE: '1', NODE_OPTIONS: '' },
  stdio: ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
})
if (!existsSync(join(OUT, 'nslab-main.cache'))) throw new Error(`scripts/build-bin.mjs: no code cache was made: ${made.stderr || made.error || `exit ${made.status}`}`)

// The cache of the commands that run a lab host (RUN_CACHE_COMMANDS): made by a run of a shipped lab, in a
// lab host of its own. A cache costs its size to read (some 0.08 ms a kB here), so a lint does not read the
// run's (a lint 20 ms slower with it), and a run or a check compiles less from its own (some 10 ms less than
// from the lint's: bench/README.md). Where this machine cannot build a lab host, they read the lint's.
// Two runs: one through nslab-main.cjs (the cache of prove, grade, up, check …), one through nslab-run.cjs.
const runCaches = { main: join(OUT, 'nslab-main.run.cache'), 1: join(OUT, 'nslab-run.cache') }
for (const [make, cache] of Object.entries(runCaches)) {
  const ran = spawnSync(process.execPath, [join(OUT, 'nslab.cjs'), 'run', CACHE_LAB], {
    env: { ...process.env, NSLAB_MAKE_CODE_CACHE: make, NODE_OPTIONS: '', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 300_000,
  })
  if (ran.status === 0 && existsSync(cache)) continue
  rmSync(cache, { force: true })
  process.stderr.write(`scripts/build-bin.mjs: no lab host could run here (nslab run: ${ran.error ?? `exit ${ran.status}`}; ${(ran.stderr || ran.stdout).trim().split('\n').pop()}): ${make === 'main' ? "nslab's other commands that run a lab host read the lint's code cache" : 'nslab run reads no code cache'}\n`)
}
