// nslab serve: every lab as a web page with live terminals, on this machine.
// The server (runner/serve/) and its dependencies (ws, node-pty) load only
// here, so no other command pays for them.
import { spawn } from 'node:child_process'
import { colorEnabled, createColors } from '../util/colors.js'
import { safeTerminal } from '../util/safe-text.js'
import { COMMON_OPTIONS_HELP, readCommandArgs } from './parse-command-args.js'
import { UsageError } from './usage-error.js'

export const SERVE_HELP = `Usage: nslab serve [LABS…] [--port N] [--host ADDRESS] [--open]
       nslab serve --workshop CLASS.yaml [--links FILE] [--port N] [--host ADDRESS]

Serves labs as web pages: each lab's text with Run and Copy on its steps, its
tasks ticking themselves as you work, Hint, Solve and Reset, and a terminal on
each machine of its lab host. Prints one address with a secret token: open it
in a browser. Ctrl-C stops the server and every lab host it started.

  LABS                      lab files, folders of labs, or names of labs
                            (default: labs/ here, else nslab's own labs)
Options:
  --port N                  the port (default 4300; 0 for any free one)
  --host ADDR               the address to listen on (default 127.0.0.1: this
                            machine only)
  --open                    open the address in the browser
  --workshop CLASS.yaml     serve a class: the labs and learners the file
                            names (labs: [snat-outbound], learners: [ada, bob]
                            or learners: 30); one personal link per learner,
                            each with lab hosts of their own (own uid and
                            limits), and one for the instructor's live page
  --links FILE              write the links to FILE, a line each: NAME URL
                            (the instructor's first)
${COMMON_OPTIONS_HELP}
A lab opened in the page is the same as one started by nslab up: nslab check
NAME in a terminal agrees with the page.
`

export const SERVE_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  open: { type: 'boolean', default: false },
  workshop: { type: 'string' },
  links: { type: 'string' },
} as const

export async function serveCommand(argv: string[]): Promise<number> {
  const v = readCommandArgs(argv, { command: 'nslab serve', usage: 'nslab serve [options] -- LABS…', options: SERVE_OPTIONS })
  if (v.values.help) {
    process.stdout.write(SERVE_HELP)
    return 0
  }
  const port = v.values.port === undefined ? 4300 : Number(v.values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('nslab serve', `--port takes a port number (0 for any free one), not "${v.values.port}"`)
  const host = v.values.host ?? '127.0.0.1'
  const out = createColors(colorEnabled(process.stdout))
  const err = createColors(colorEnabled(process.stderr))

  if (v.values.links !== undefined && v.values.workshop === undefined) throw new UsageError('nslab serve', '--links goes with --workshop CLASS.yaml')
  if (v.values.workshop !== undefined && v.positionals.length) throw new UsageError('nslab serve', '--workshop takes its labs from the class file: name no labs after it')
  const { servedLabs } = await import('../serve/served-labs.js')
  const { createLearnerSpace } = await import('../serve/learner-space.js')
  const { startServeServer } = await import('../serve/serve-server.js')
  const classFile = v.values.workshop === undefined ? undefined : (await import('../serve/class-file.js')).readClassFile(v.values.workshop)
  const served = await servedLabs(classFile ? classFile.labs : v.positionals)
  for (const p of served.problems) process.stderr.write(safeTerminal(`${err.yellow('!')} not served (invalid): ${p}\n`))
  const log = (line: string) => process.stderr.write(safeTerminal(`${line}\n`))
  const workshop = classFile ? (await import('../serve/workshop.js')).createWorkshop({ classFile, served, log }) : undefined
  const space = workshop ? { close: () => workshop.close() } : createLearnerSpace(served, { log })

  // Ctrl-C (or TERM, HUP) stops the server and takes down every lab host it started; a second one exits at once.
  let received: NodeJS.Signals | undefined
  let stop!: () => void
  const stopped = new Promise<void>((r) => (stop = r))
  const onSignal = (sig: NodeJS.Signals) => {
    if (received) process.exit(exitCode(sig))
    received = sig
    stop()
  }
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal)

  let server
  try {
    server = await startServeServer({ ...(workshop ? { workshop } : { space: space as ReturnType<typeof createLearnerSpace> }), host, port, log })
  } catch (e) {
    await space.close()
    throw e
  }
  const n = served.labs.length
  if (workshop && server.links) {
    const lines = server.links.map((l) => `${l.name} ${l.url}\n`).join('')
    if (v.values.links !== undefined) {
      const { writeFileSync } = await import('node:fs')
      // The links are the learners' keys: readable by this user only.
      writeFileSync(v.values.links, lines, { mode: 0o600 })
    }
    process.stdout.write(
      `${out.green('✓')} nslab serve --workshop: ${safeTerminal(workshop.classFile.title)}: ${workshop.learners.length} learners, ${n} lab${n === 1 ? '' : 's'}; progress kept in ${workshop.statePath}\n\n` +
        safeTerminal(lines) +
        '\n' +
        out.dim(`Give each learner their own link${v.values.links ? ` (all in ${v.values.links})` : ''}; the instructor's opens the live table. Ctrl-C stops the server and every lab host it started.\n`),
    )
  } else {
    process.stdout.write(
      `${out.green('✓')} nslab serve: ${n} lab${n === 1 ? '' : 's'} at\n\n    ${out.bold(server.url)}\n\n` +
        out.dim('Open it in a browser (the token in it is your key). Ctrl-C stops the server and every lab host it started.\n'),
    )
  }
  const warning = exposureWarning(host)
  if (warning) process.stderr.write(`${err.yellow('warning:')} ${warning}\n`)
  if (v.values.open) openBrowser(server.url)

  await stopped
  process.stderr.write(`\nnslab serve: ${received} received, taking the lab hosts down…\n`)
  await server.close()
  await space.close()
  process.stderr.write('nslab serve: stopped.\n')
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal)
  return exitCode(received!)
}

/** What to say when the server listens beyond this machine (an address that is not loopback). */
export function exposureWarning(host: string): string | undefined {
  if (/^127\./.test(host) || host === '::1' || host === 'localhost') return undefined
  const where = host === '0.0.0.0' || host === '::' ? 'every address of this machine' : host
  return (
    `listening on ${where}: every shell of every lab is reachable from the network by anyone with the token.\n` +
    '         Keep the address to yourself; --host 127.0.0.1 (the default) keeps it on this machine.'
  )
}

function exitCode(sig: NodeJS.Signals): number {
  return sig === 'SIGINT' ? 130 : sig === 'SIGHUP' ? 129 : 143
}

/** The desktop's browser, if there is one to ask; else the address is there to copy. */
function openBrowser(url: string): void {
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true })
  child.on('error', () => process.stderr.write('nslab serve: could not open a browser (no xdg-open): open the address above yourself.\n'))
  child.unref()
}
