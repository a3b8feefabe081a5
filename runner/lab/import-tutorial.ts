// `nslab import TUTORIAL.md`: an ordinary Markdown tutorial — ```bash and
// ```console blocks, `$ ` prompts, shown outputs — as a lab skeleton that
// `nslab run` executes. Commands become `sh step` blocks (prompts off, sudo
// kept); shells opened in a namespace (`sudo nsenter --net=…/netns0` … `exit`)
// become steps with on=netns0; a server left running becomes a background
// step and a check that waits until it listens; shown outputs become output
// blocks with `{*}` and `...` where they vary from machine to machine; a
// public address becomes the lab's internet (203.0.113.10), the author's own
// uplink address the lab host's (198.51.100.2). After each step that changes
// something, a comment says where a check could go, with the checks its
// commands suggest. The tutorial's prose stays as it is.

import { checkSuggestions } from './check-suggestions.js'
import { findCodeBlocks } from './find-code-blocks.js'
import { LineIndex } from './line-index.js'
import { outputPattern } from './output-pattern.js'
import { shellCommands } from './shell-commands.js'
import { stepEffect } from './step-effect.js'
import { OUTPUT_LANGS, SHELL_LANGS, tutorialCommands, type TutorialCommand } from './tutorial-commands.js'
import { unwrapCommand } from './unwrap-command.js'
import { madeBy } from './made-namespaces.js'

export interface ImportResult {
  /** The lab. */
  text: string
  /** What import changed, and what it could not do: also at the top of the lab. */
  notes: string[]
  steps: number
  outputs: number
  /** Places where a comment says a check could go. */
  places: number
}

/** Where the lab's internet answers, and the lab host's own address on the internet's link. */
const INTERNET_ADDRESS = '203.0.113.10'
const HOST_UPLINK = '198.51.100.2'
/** Names tutorials ping as "the internet". */
const PUBLIC_NAMES = new Set(['google.com', 'www.google.com', 'example.com', 'www.example.com', 'cloudflare.com', 'one.one.one.one'])

interface Step {
  on: string
  commands: { text: string; words: string[] }[]
  output?: string[]
  /** The command the output belongs to. */
  outputOf?: string[]
  background?: boolean
  exit?: number | 'any'
  timeout?: string
}

export function importTutorial(input: string, file: string): ImportResult {
  const text = input.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n')
  let body = text
  let title: string | undefined
  const front = /^---\n([\s\S]*?)\n---\n/.exec(text)
  if (front) {
    title = /^title:\s*["']?(.*?)["']?\s*$/m.exec(front[1]!)?.[1]
    body = text.slice(front[0].length)
  }
  title ??= /^#\s+(.+?)\s*#*\s*$/m.exec(body)?.[1] ?? file.replace(/^.*\//, '').replace(/\.md$/i, '')
  const index = new LineIndex(body)
  const blocks = findCodeBlocks(body, 0, index).filter((b) => b.closed)
  const notes: string[] = []
  const note = (n: string) => {
    if (!notes.includes(n)) notes.push(n)
  }

  // What every command block holds, read once.
  const parsed = blocks.map((b) => {
    const lang = (b.info.split(/\s+/)[0] ?? '').toLowerCase()
    return { block: b, lang, commands: SHELL_LANGS.has(lang) ? tutorialCommands(lang, b.content) : undefined }
  })
  const all: TutorialCommand[] = parsed.flatMap((p) => p.commands ?? [])

  // The interfaces the commands make, and the author's own uplink address (an ip addr or ip route shown).
  const interfaces = new Set<string>()
  const uplink = new Set<string>()
  for (const c of all) {
    for (const sc of shellCommands(c.text).commands) {
      const w = unwrapCommand(sc.words).words
      if (w[0] === 'ip' && w.includes('add')) {
        const i = w.indexOf('add')
        if (w[i - 1] === 'link' && w[i + 1]) interfaces.add(w[i + 1] === 'name' ? w[i + 2]! : w[i + 1]!)
        const peer = w.indexOf('peer')
        if (peer >= 0 && w[peer + 1] === 'name' && w[peer + 2]) interfaces.add(w[peer + 2]!)
      }
      if (w[0] === 'brctl' && w[1] === 'addbr' && w[2]) interfaces.add(w[2])
    }
    for (const l of c.output) {
      const src = / dev (eth\d+|en[ops]\w+|wl\w+) .*\bsrc (\d+\.\d+\.\d+\.\d+)/.exec(l)
      if (src) uplink.add(src[2]!)
    }
    const entry = c.output.join('\n').split(/\n(?=\d+: )/)
    for (const e of entry) {
      if (!/^\d+: (eth\d+|en[ops]\w+|wl\w+)[:@]/.test(e)) continue
      for (const m of e.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)) uplink.add(m[1]!)
    }
  }
  // Addresses and names that stand for the outside world or the author's machine.
  let internet = false
  const replace = (s: string): string =>
    s
      .replace(/\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b/g, (m) => {
        if (uplink.has(m)) {
          internet = true
          note(`${m}, the address of the author's machine on its own network, is the lab host's ${HOST_UPLINK} (its eth0, on the internet's link)`)
          return HOST_UPLINK
        }
        if (!isPublic(m)) return m
        internet = true
        note(`${m} is ${INTERNET_ADDRESS}: a lab host has no way to the real internet; its internet machine answers there`)
        return INTERNET_ADDRESS
      })
      .replace(/(?<![\w.-])((?:www\.)?(?:google|example|cloudflare)\.com|one\.one\.one\.one)(?![\w.-])/g, (m) => {
        if (!PUBLIC_NAMES.has(m)) return m
        internet = true
        note(`${m} is ${INTERNET_ADDRESS}: a lab host has no name server, and its internet answers there`)
        return INTERNET_ADDRESS
      })
  if (all.some((c) => /(?:^|\s)-[oi] (?:eth0|en[ops]\w+)\b|\bdev eth0\b/.test(c.text))) internet = true

  // The lab, piece by piece: the tutorial's prose, and its blocks as steps, outputs and checks.
  const out: string[] = []
  let on = 'host'
  let steps = 0
  let outputs = 0
  let places = 0
  /** The last step written, while an output block may still follow it. */
  let open: Step | undefined
  let pending: Step | undefined
  /** Where a check could go after a step that an output block may still follow: written after that block. */
  let afterOutput: string[] = []
  const release = () => {
    out.push(...afterOutput)
    afterOutput = []
  }
  const flushStep = (s: Step | undefined) => {
    if (!s || s.commands.length === 0) return
    release()
    const opts = [...(s.on !== 'host' ? [`on=${s.on}`] : []), ...(s.background ? ['background'] : []), ...(s.exit !== undefined ? [`exit=${s.exit}`] : []), ...(s.timeout ? [`timeout=${s.timeout}`] : [])]
    out.push('```sh step' + (opts.length ? ` ${opts.join(' ')}` : ''), ...s.commands.map((c) => c.text), '```', '')
    steps++
    if (s.output && s.output.length) {
      out.push('```output', ...outputPattern(s.output, { words: unwrapCommand(s.outputOf ?? []).words, interfaces }), '```', '')
      outputs++
    }
    const content = s.commands.map((c) => c.text).join('\n')
    if (s.background) {
      const port = listensOn(s.commands[s.commands.length - 1]!.words)
      if (port !== undefined) {
        out.push('```check', `sh ${s.on} "ss -ltn | grep -q ':${port} '" within=5s`, '```', '')
        note('a server the tutorial leaves running is a background step, and a check waits until it listens before the steps after it')
      }
    } else if (stepEffect(content).effect === 'changes') {
      const suggested = [...new Set(s.commands.flatMap((c) => shellCommands(c.text).commands.flatMap((sc) => checkSuggestions(sc.words, s.on, sc.text))))]
      const place = [`<!-- nslab import: a check could go here${suggested.length ? `, e.g. ${suggested.join(' · ')}` : ': what should hold now?'} -->`, '']
      if (s.output) out.push(...place)
      else afterOutput = place
      places++
    }
  }
  const flush = () => {
    if (!pending) return
    flushStep(pending)
    open = pending && pending.commands.length && !pending.output && !pending.background ? pending : undefined
    pending = undefined
  }
  const add = (cmd: TutorialCommand) => {
    const typed = replace(cmd.text)
    const first = shellCommands(typed).commands[0]
    const words = first?.words ?? []
    const u = unwrapCommand(words, first?.literal)
    // A shell opened in a namespace: the commands after it, up to its exit, run there.
    if (u.shell !== undefined || (u.netns !== undefined && /^(ba|z|da)?sh$/.test(u.words[0] ?? '') && u.words.length === 1)) {
      flush()
      on = u.netns ?? on
      note(`a shell opened in a namespace (${cmd.text.trim()}) and the commands typed into it are steps with on=${on}: a step has no terminal to type into`)
      return
    }
    if (words.length === 1 && /^(exit|logout)$/.test(words[0]!)) {
      flush()
      on = 'host'
      return
    }
    if (u.sudo && u.words.length === 0 && words.some((x) => /^-[a-zA-Z]*[is]$/.test(x))) {
      note('sudo -i and sudo -s are left out: a step runs as root already')
      return
    }
    let textOut = typed
    if ((u.words[0] === 'ping' || u.words[0] === 'ping6') && !u.words.some((x) => /^-[a-zA-Z]*[cw]/.test(x)) && !listensOn(u.words)) {
      textOut = typed.replace(/\bping6? /, (m) => `${m}-c 3 `)
      note('a ping left to run until Ctrl-C gets -c 3')
    }
    const server = listensOn(u.words) !== undefined
    if (server) {
      flush()
      pending = { on, commands: [{ text: textOut, words: u.words }], background: true }
      flush()
      // A server holds its terminal: what the tutorial types next is typed in another one, on the host.
      on = 'host'
      return
    }
    if (pending && pending.on !== on) flush()
    pending ??= { on, commands: [] }
    pending.commands.push({ text: textOut, words })
    if (cmd.output.length) {
      pending.output = cmd.output.map(replace)
      pending.outputOf = words
      const o = cmd.output.join('\n')
      const sent = /(\d+) packets transmitted, 0 received/.test(o)
      const curl = /^curl: \((\d+)\)/m.exec(o)
      if (sent) {
        pending.exit = 1
        pending.timeout = '20s'
      } else if (/Network is unreachable|Name or service not known|unknown host/.test(o) && u.words[0]?.startsWith('ping')) pending.exit = 2
      else if (curl) pending.exit = Number(curl[1])
      else if (/RTNETLINK answers|Cannot find device|No such file or directory|command not found|^Error: /m.test(o)) pending.exit = 'any'
      flush()
    }
  }

  let at = 0
  for (const p of parsed) {
    const b = p.block
    const prose = body.slice(at, b.start)
    at = b.end
    if (prose.trim()) {
      flush()
      open = undefined
      release()
      out.push(prose.replace(/^\n+|\n+$/g, ''), '')
    }
    if (p.commands) {
      for (const c of p.commands) add(c)
      flush()
      continue
    }
    if (OUTPUT_LANGS.has(p.lang) || (SHELL_LANGS.has(p.lang) && p.commands === undefined)) {
      // What the step just before printed.
      if (open && b.content.trim()) {
        const last = open.commands[open.commands.length - 1]!
        const lines = b.content.replace(/\n$/, '').split('\n').map(replace)
        out.push('```output', ...outputPattern(lines, { words: unwrapCommand(last.words).words, interfaces }), '```', '')
        outputs++
        open = undefined
        release()
        continue
      }
    }
    // Anything else is shown as it is.
    release()
    out.push(`${b.fence}${b.info}`, ...b.content.replace(/\n$/, '').split('\n'), b.fence, '')
  }
  flush()
  release()
  const tail = body.slice(at).replace(/\n+$/, '')
  if (tail.trim()) out.push(tail, '')

  const made = [...new Set(all.flatMap((c) => shellCommands(replace(c.text)).commands.flatMap((sc) => madeBy(sc.words, sc.literal))))]
  const lines = [
    '---',
    `title: ${JSON.stringify(title)}`,
    ...(internet ? ['topology:', '  internet: true'] : []),
    '---',
    '',
    '<!--',
    `nslab import of ${file.replace(/^.*\//, '')}: ${steps} step${steps === 1 ? '' : 's'}, ${outputs} output block${outputs === 1 ? '' : 's'}, ${places} place${places === 1 ? '' : 's'} where a check could go ("a check could go here").`,
    ...(made.length ? [`The steps make network namespaces ${made.join(', ')}: checks and on= may name them as machines (ping ${made[0]} host).`] : []),
    ...(interfaces.size ? [`They make the interfaces ${[...interfaces].join(', ')}; the lab host starts with no topology: the steps build it.`] : []),
    ...(internet ? ['topology has internet: true: a machine outside the lab host, its eth0 on 198.51.100.0/24, answering on 203.0.113.10.'] : []),
    ...notes.map((n) => `- ${n}`),
    'Next: nslab run this file; keep the checks that say what the tutorial teaches; nslab prove this file.',
    '-->',
    '',
    ...out,
  ]
  return { text: lines.join('\n').replace(/\n{3,}/g, '\n\n').replace(/\n*$/, '\n'), notes, steps, outputs, places }
}

/** The port a command that runs a server listens on; undefined for one that is no server. */
export function listensOn(words: string[]): number | undefined {
  const [cmd, ...args] = words
  const name = cmd?.replace(/^.*\//, '')
  const port = (s: string | undefined) => (s !== undefined && /^\d{1,5}$/.test(s) ? Number(s) : undefined)
  if (/^python3?$/.test(name ?? '') && args[0] === '-m' && args[1] === 'http.server') return port(args.slice(2).find((a, i, all) => /^\d+$/.test(a) && all[i - 1] !== '--bind' && all[i - 1] !== '-b')) ?? 8000
  if ((name === 'nc' || name === 'ncat' || name === 'netcat') && args.some((a) => /^-[a-zA-Z]*l/.test(a))) {
    const p = args.indexOf('-p')
    return port(p >= 0 ? args[p + 1] : args.filter((a) => !a.startsWith('-')).pop())
  }
  if (name === 'socat') {
    const m = /TCP[46]?-LISTEN:(\d+)/i.exec(args.join(' '))
    return m ? Number(m[1]) : undefined
  }
  if (name === 'busybox' && args[0] === 'httpd' && args.includes('-f')) {
    const p = args.indexOf('-p')
    return p >= 0 ? port(args[p + 1]!.replace(/^.*:/, '')) : 80
  }
  if (name === 'iperf3' && args.includes('-s')) return 5201
  return undefined
}

/** An address out on the internet (not private, loopback, link-local, shared, documentation or special). */
function isPublic(ip: string): boolean {
  const [a = 0, b = 0, c = 0] = ip.split('.').map(Number)
  if (ip.split('.').some((x) => Number(x) > 255)) return false
  if (a === 10 || a === 127 || a === 0 || a >= 224) return false
  if (a === 172 && b >= 16 && b <= 31) return false
  if (a === 192 && b === 168) return false
  if (a === 169 && b === 254) return false
  if (a === 100 && b >= 64 && b <= 127) return false
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return false
  if (a === 198 && (b === 18 || b === 19)) return false
  return true
}
