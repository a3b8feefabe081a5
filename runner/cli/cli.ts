#!/usr/bin/env node
// The nslab command. Each subcommand lives in its own module, imported only
// when used (command-table.ts), so that `nslab --version` and `--help` start
// fast.
import { nslabVersion } from '../util/nslab-version.js'
import { COMMANDS, findCommand } from './command-table.js'
import { startCli } from './start-cli.js'

/** The oldest Node.js nslab runs on (package.json's engines): Debian 12's own nodejs, 18, is older. */
const NODE_MAJOR = 20

/** `nslab help TOPIC`: the tables that are not commands. */
const TOPICS: Record<string, () => Promise<string>> = {
  'exit-codes': async () => (await import('./general-help.js')).exitCodesHelp(),
  environment: async () => (await import('./general-help.js')).environmentHelp(),
}

async function printGeneralHelp(): Promise<void> {
  process.stdout.write((await import('./general-help.js')).generalHelp())
}

async function main(argv: string[]): Promise<number> {
  const major = Number(process.versions.node.split('.')[0])
  if (major < NODE_MAJOR) {
    process.stderr.write(`nslab: needs Node.js ${NODE_MAJOR} or newer; this is ${process.version} (${process.execPath}). Install a newer one: nodejs.org, or NodeSource's packages for Debian.\n`)
    return 3
  }
  // --color / --no-color before the command are nslab's own.
  let rest = argv
  while (rest[0] === '--color' || rest[0] === '--no-color') {
    const { setColorChoice } = await import('../util/colors.js')
    setColorChoice(rest[0] === '--color')
    rest = rest.slice(1)
  }
  const [cmd, ...args] = rest
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    process.stdout.write(`${nslabVersion()}\n`)
    return 0
  }
  if (cmd === undefined || cmd === '--help' || cmd === '-h') {
    await printGeneralHelp()
    return cmd === undefined ? 2 : 0
  }
  if (cmd === 'help') return await help(args)
  // The session agent (session-agent.ts): started by nslab itself, not a command of the user's.
  if (cmd === '__agent') return await (await import('./session-agent.js')).sessionAgentCommand()
  const entry = findCommand(cmd)
  if (!entry) return await unknownCommand(cmd)
  return await (await entry.load()).run(args)
}

/** `nslab help [CMD [SUB]]`: a command's help is what `nslab CMD --help` prints. */
async function help(args: string[]): Promise<number> {
  const [name, ...more] = args
  if (name === undefined) {
    await printGeneralHelp()
    return 0
  }
  const topic = TOPICS[name]
  if (topic) {
    process.stdout.write(await topic())
    return 0
  }
  const entry = findCommand(name)
  if (!entry) return await unknownCommand(name, 'nslab help')
  return await (await entry.load()).run([...more, '--help'])
}

async function unknownCommand(name: string, command = 'nslab'): Promise<number> {
  const [{ didYouMean }, { safeLine }, { usageText }] = await Promise.all([
    import('../util/did-you-mean.js'),
    import('../util/safe-text.js'),
    import('./usage-error.js'),
  ])
  const names = [...COMMANDS.map((c) => c.name), ...(command === 'nslab help' ? Object.keys(TOPICS) : ['help', 'version'])]
  const guess = name.startsWith('-') ? didYouMean(name, ['--version', '--help', '--color', '--no-color']) : didYouMean(name, names)
  const what = name.startsWith('-') && command === 'nslab' ? 'option' : command === 'nslab help' ? 'command or topic' : 'command'
  process.stderr.write(usageText('nslab', `unknown ${what} ${safeLine(name)}${guess ? ` (did you mean ${guess}?)` : ''}`))
  return 2
}

startCli(main)
