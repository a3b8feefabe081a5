#!/usr/bin/env node
// Runs the tap suite and ends with the line CI reads: "N passed, N failed".
// Arguments go to tap (e.g. a test file to run alone).
//
// Around the whole suite it proves what nslab promises the machine: its
// iptables (both back ends), links, addresses, routes, network namespaces,
// System V IPC and mounts are the same after the suite as before, and no
// process the suite started is left running. As root the suite runs in a
// cgroup of its own (every process it starts is born inside, lab hosts and
// graders in cgroups below it), so what is left there at the end is exactly
// what the suite leaked; those are reported, then ended by their pid.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'

const whole = process.argv.length <= 2
const out = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    return `failed: ${e.message}`
  }
}
// Counters, timestamps and link statistics change by themselves; the rest must not.
const machine = () => ({
  iptables: out('iptables-save', []).replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, '[]'),
  'iptables-legacy': out('iptables-legacy-save', []).replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, '[]'),
  links: out('ip', ['-o', 'link', 'show']).replace(/ (qlen|numtxqueues|numrxqueues|gso_\S+|tso_\S+|gro_\S+) \S+/g, ''),
  addresses: out('ip', ['-o', 'addr', 'show']).replace(/valid_lft \S+ preferred_lft \S+/g, ''),
  routes: out('ip', ['route', 'show', 'table', 'all']),
  'network namespaces': out('ip', ['netns', 'list']),
  'System V IPC': out('ipcs', []),
  // Lab hosts' and graders' cgroups; the suite's own is made after the first look and gone before the last.
  'nslab cgroups': out('find', ['/sys/fs/cgroup', '-maxdepth', '7', '-type', 'd', '-name', 'nslab-*', '!', '-name', `nslab-suite-${process.pid}`])
    .split('\n')
    .filter((l) => l && !l.includes(`/nslab-suite-${process.pid}/`))
    // Another suite running beside this one (two at once, to load the machine) has its own.
    .filter((l) => !otherSuite(l))
    .sort()
    .join('\n'),
  mounts: readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ').slice(4, 5).join(' '))
    .sort()
    .join('\n'),
})

/** A cgroup of, or below, another suite that is running now. */
function otherSuite(path) {
  const pid = Number(/\/nslab-suite-(\d+)(\/|$)/.exec(path)?.[1])
  if (!pid || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A pids cgroup for the suite (root, cgroup v1 or v2), this process moved into it; undefined elsewhere. */
function suiteCgroup() {
  if (process.getuid?.() !== 0) return undefined
  const own = readFileSync('/proc/self/cgroup', 'utf8')
  const v1 = /^\d+:([^:]*\bpids\b[^:]*):(.*)$/m.exec(own)
  const base = v1 && existsSync('/sys/fs/cgroup/pids') ? `/sys/fs/cgroup/pids${v1[2] === '/' ? '' : v1[2]}` : undefined
  if (!base) return undefined
  const dir = `${base}/nslab-suite-${process.pid}`
  try {
    mkdirSync(dir)
    writeFileSync(`${dir}/cgroup.procs`, `${process.pid}\n`)
    return dir
  } catch {
    return undefined
  }
}

/** Every process in a cgroup and the cgroups below it. */
function procsUnder(dir) {
  const pids = []
  const walk = (d) => {
    try {
      for (const l of readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n')) if (/^\d+$/.test(l)) pids.push(Number(l))
      for (const e of execFileSync('find', [d, '-mindepth', '1', '-maxdepth', '1', '-type', 'd'], { encoding: 'utf8' }).split('\n').filter(Boolean)) walk(e)
    } catch {
      // gone meanwhile
    }
  }
  walk(dir)
  return pids.filter((p) => p !== process.pid)
}

const before = whole ? machine() : undefined
const cgroup = whole ? suiteCgroup() : undefined

const tap = spawn(process.execPath, ['node_modules/tap/dist/esm/run.mjs', '-R', 'tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
let tail = ''
let partial = ''
/** The open subtests' names by depth, and every failed assertion with its path and first lines of diagnosis. */
const path = []
const failures = []
let diagnosing
const readLine = (line) => {
  const depth = Math.floor(/^ */.exec(line)[0].length / 4)
  const subtest = /^\s*# Subtest: (.*)$/.exec(line)
  if (subtest) {
    path.length = depth
    path[depth] = subtest[1]
    diagnosing = undefined
    return
  }
  const notOk = /^\s*not ok \d+ - (.*?)(?: # time=.*)?$/.exec(line)
  if (notOk) {
    // A failed subtest repeats the failures inside it: keep the innermost only.
    const parent = failures.length && failures[failures.length - 1]
    if (parent && parent.depth > depth && parent.path[depth] === notOk[1]) return
    diagnosing = { depth, path: path.slice(0, depth), name: notOk[1], lines: [] }
    failures.push(diagnosing)
    return
  }
  if (!diagnosing || !line.trim() || /^\s*(---|\.\.\.)$/.test(line)) return
  if (/^\s*(ok|not ok) \d+/.test(line)) {
    diagnosing = undefined
    return
  }
  // tap's YAML: keep the message, found/wanted, the diff and file:line; drop the stack and source.
  const key = /^ {2,}(\w+):(.*)$/.exec(line.slice(diagnosing.depth * 4))
  if (key && line.slice(diagnosing.depth * 4).indexOf(key[1]) === 2) diagnosing.key = key[1]
  const where = /^\s*(fileName|lineNumber): (.*)$/.exec(line)
  if (where?.[1] === 'fileName') diagnosing.file ??= where[2].trim()
  if (where?.[1] === 'lineNumber' && !diagnosing.at) diagnosing.at = `${diagnosing.file}:${where[2].trim()}`
  if (['at', 'stack', 'source', 'fileName', 'lineNumber', 'columnNumber', 'typeName', 'isToplevel', 'compare'].includes(diagnosing.key)) return
  if (diagnosing.lines.length < 12) diagnosing.lines.push(line.trim())
}
tap.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  tail = (tail + chunk.toString()).slice(-4096)
  const lines = (partial + chunk.toString()).split('\n')
  partial = lines.pop() ?? ''
  for (const l of lines) readLine(l)
})
tap.on('close', async (code, signal) => {
  // tap's own summary: "# { total: 120, pass: 118, fail: 2, skip: 1 }" (fields vary)
  const all = [...tail.matchAll(/^# \{ total: (\d+)(.*)\}$/gm)]
  const last = all[all.length - 1]
  const field = (name) => Number(new RegExp(`${name}: (\\d+)`).exec(last?.[2] ?? '')?.[1] ?? 0)
  let passed = field('pass')
  let failed = field('fail')
  if (!last || (code !== 0 && failed === 0)) failed += 1 // a crash or a failed file without counted assertions
  if (whole) {
    // Lab hosts end when their init's pipe closes: give the last ones a moment.
    let left = cgroup ? procsUnder(cgroup) : []
    for (let i = 0; i < 50 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 100))
      left = procsUnder(cgroup)
    }
    const after = machine()
    // nslab's own gc may remove stale cgroups of runs killed before the suite: only new ones count.
    const grew = (k) => after[k].split('\n').some((l) => l && !before[k].split('\n').includes(l))
    const changed = Object.keys(before).filter((k) => (k === 'nslab cgroups' ? grew(k) : before[k] !== after[k]))
    process.stdout.write('\n# The machine after the suite\n')
    for (const k of Object.keys(before)) {
      process.stdout.write(`${changed.includes(k) ? 'not ok' : 'ok'} - the machine's ${k} are as before the suite\n`)
      if (changed.includes(k)) process.stdout.write(`#   before:\n${before[k].replace(/^/gm, '#     ')}\n#   after:\n${after[k].replace(/^/gm, '#     ')}\n`)
    }
    if (cgroup) {
      const leaked = left.map((p) => `${p} ${out('ps', ['-o', 'user=,args=', '-p', String(p)]).trim()}`)
      process.stdout.write(`${leaked.length ? 'not ok' : 'ok'} - no process the suite started is left running${leaked.length ? `: ${leaked.length}` : ''}\n`)
      for (const l of leaked) process.stdout.write(`#   ${l}\n`)
      for (const p of left) {
        try {
          process.kill(p, 'SIGKILL')
        } catch {
          // gone
        }
      }
      if (leaked.length) failed++
      else passed++
      try {
        writeFileSync(`${cgroup.replace(/\/[^/]+$/, '')}/cgroup.procs`, `${process.pid}\n`)
      } catch {
        // not movable: the cgroup stays, empty
      }
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(cgroup)
          break
        } catch {
          await new Promise((r) => setTimeout(r, 100))
        }
      }
    }
    failed += changed.length
    passed += Object.keys(before).length - changed.length
  }
  // CI shows only the end of the output: name each failure here, where it is read.
  if (failures.length) {
    process.stdout.write(`\n# Failed (${failures.length}${failures.length > 30 ? ', the first 30' : ''}):\n`)
    for (const f of failures.slice(0, 30)) {
      process.stdout.write(`# ✗ ${[...f.path, f.name].join(' › ')}${f.at ? ` (${f.at})` : ''}\n`)
      for (const l of f.lines) process.stdout.write(`#     ${l}\n`)
    }
  }
  process.stdout.write(`\n${passed} passed, ${failed} failed${field('skip') ? `, ${field('skip')} skipped` : ''}\n`)
  process.exitCode = code ?? (signal ? 1 : 0)
  if (whole && failed > field('fail')) process.exitCode = 1
})
