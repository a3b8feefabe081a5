// One way for every command to read its arguments: node:util parseArgs,
// strict, plus what a command that takes file names needs, and one form for
// what goes wrong. `nslab grade LAB *` in a class folder hands the shell's
// expansion to nslab, and a learner's folder named `--csv=x` would be read as
// an option (the gradebook written to x). As with rm and git: `--` ends the
// options, everything after it is a file; and an argument before it that
// looks like an option but names a file or folder here is refused, with the
// command to type instead. Problems come back as data, already worded as
// nslab words them (parseArgs' own messages are for programmers: "Option
// '-j, --jobs <value>' argument missing"); readCommandArgs throws them as the
// one UsageError form.
import { lstatSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { setColorChoice } from '../util/colors.js'
import { didYouMean } from '../util/did-you-mean.js'
import { NslabError } from '../util/nslab-error.js'
import { safeLine } from '../util/safe-text.js'
import { UsageError } from './usage-error.js'

export type Options = NonNullable<ParseArgsConfig['options']>

export interface CommandArgsSpec<O extends Options> {
  /** As the user typed it: "nslab grade". */
  command: string
  /** The command with file names after --, for the advice: "nslab grade LAB -- *". */
  usage: string
  options: O
  /** Where relative file names are looked up (default: the working directory). */
  cwd?: string
}

/** What is wrong with a command line, for the command to say. */
export type UsageProblem =
  | {
      /** An argument before -- looks like an option, and is a file or folder here. */
      kind: 'option-is-a-path'
      command: string
      /** The argument as given. */
      arg: string
      /** What it names. */
      what: 'file' | 'folder' | 'symbolic link' | 'special file'
      /** The command with -- before the file names. */
      usage: string
      /** One sentence, with the advice. */
      message: string
    }
  | {
      /** What node:util parseArgs refused: an unknown option, a missing or unexpected value. */
      kind: 'invalid'
      command: string
      /** ERR_PARSE_ARGS_UNKNOWN_OPTION, … */
      code: string
      /** nslab's sentence: "unknown option --verbos (did you mean --verbose?)". */
      message: string
    }

/**
 * Options every command takes: colour on or off, and its help. They are
 * added to each command's own, so no command can forget them, and its help
 * says them with COMMON_OPTIONS_HELP.
 */
export const COMMON_OPTIONS = {
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Their lines in a command's help. */
export const COMMON_OPTIONS_HELP = `  --color, --no-color       colour on or off (default: on a terminal, and in CI logs that show it)
  -h, --help                this help
`

export type WithCommon<O extends Options> = O & typeof COMMON_OPTIONS

export type ParsedArgs<O extends Options> = ReturnType<typeof parseArgs<{ options: WithCommon<O>; allowPositionals: true; strict: true; tokens: true }>>

export type CommandArgs<O extends Options> = ({ ok: true } & ParsedArgs<O>) | { ok: false; problem: UsageProblem }

/** Parse a command's arguments: options until --, then file names; see the header. */
export function parseCommandArgs<O extends Options>(args: string[], spec: CommandArgsSpec<O>): CommandArgs<O> {
  const pathProblem = optionThatIsAPath(args, spec)
  if (pathProblem) return { ok: false, problem: pathProblem }
  const options = { ...COMMON_OPTIONS, ...spec.options } as WithCommon<O>
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true })
    return { ok: true, ...parsed }
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    return { ok: false, problem: { kind: 'invalid', command: spec.command, code: err.code ?? 'ERR_PARSE_ARGS', message: parseArgsMessage(err.message, options) } }
  }
}

/**
 * Parse a command's arguments or throw the UsageError that says what is
 * wrong; --color and --no-color take effect here, for the whole command.
 */
export function readCommandArgs<O extends Options>(args: string[], spec: CommandArgsSpec<O>): ParsedArgs<O> {
  const v = parseCommandArgs(args, spec)
  if (!v.ok) throw usageError(v.problem)
  const { ok: _ok, ...parsed } = v
  const values = parsed.values as { color?: boolean; 'no-color'?: boolean }
  // The last one given wins, as with ls and grep.
  const last = [...parsed.tokens].reverse().find((k) => k.kind === 'option' && (k.name === 'color' || k.name === 'no-color'))
  if (values.color || values['no-color']) setColorChoice(last?.kind === 'option' && last.name === 'color')
  return parsed as ParsedArgs<O>
}

/**
 * Run what reads a command's values (--jobs many, --timeout soon): a usage
 * error thrown there (NslabError USAGE, from any module) becomes this
 * command's, in the one form.
 */
export function asCommandUsage<T>(command: string, read: () => T): T {
  try {
    return read()
  } catch (e) {
    if (e instanceof NslabError && e.code === 'USAGE' && !(e instanceof UsageError)) throw new UsageError(command, e.message)
    throw e
  }
}

/** parseArgs' message as nslab says it, with a suggestion for a misspelt option. */
export function parseArgsMessage(message: string, options: Options): string {
  const longNames = Object.keys(options).map((n) => `--${n}`)
  const long = (name: string) => {
    if (name.startsWith('--')) return name
    const entry = Object.entries(options).find(([, o]) => o.short !== undefined && `-${o.short}` === name)
    return entry ? `--${entry[0]}` : name
  }
  const shown = (name: string) => safeLine(name)
  let m = /^Unknown option '([^']*)'/.exec(message)
  if (m) {
    const name = m[1]!
    const guess = name.startsWith('--') ? didYouMean(name.split('=')[0]!, longNames) : undefined
    return `unknown option ${shown(name)}${guess ? ` (did you mean ${guess}?)` : ''}`
  }
  m = /^Option '(?:-\w, )?(--?[^' ]+)(?: <value>)?' argument missing/.exec(message)
  if (m) return `${long(m[1]!)} needs a value`
  m = /^Option '(--?[^' ]+)' does not take an argument/.exec(message)
  if (m) return `${long(m[1]!)} takes no value`
  m = /^Option '(--?[^' ]+)' argument is ambiguous/.exec(message)
  if (m) return `${long(m[1]!)} needs a value (to give one that starts with -, write ${long(m[1]!)}=VALUE)`
  return shown(message.charAt(0).toLowerCase() + message.slice(1))
}

/** The first argument before -- that starts with - and names something here. */
export function optionThatIsAPath(args: string[], spec: Pick<CommandArgsSpec<Options>, 'command' | 'usage' | 'cwd'>): UsageProblem | undefined {
  for (const arg of optionArgs(args)) {
    if (!arg.startsWith('-') || arg === '-') continue
    let st
    try {
      st = lstatSync(resolve(spec.cwd ?? process.cwd(), arg))
    } catch {
      continue
    }
    const what = st.isSymbolicLink() ? 'symbolic link' : st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'special file'
    return {
      kind: 'option-is-a-path',
      command: spec.command,
      arg,
      what,
      usage: spec.usage,
      message: `"${safeLine(arg)}" is a ${what} here, not an option; put -- before file names: ${spec.usage}`,
    }
  }
  return undefined
}

/** The arguments that may be options: those before the first --. */
export function optionArgs(args: string[]): string[] {
  const end = args.indexOf('--')
  return end < 0 ? args : args.slice(0, end)
}

/** Whether an option is given (before --), as --name or --name=value. */
export function hasOption(args: string[], name: string): boolean {
  return optionArgs(args).some((a) => a === `--${name}` || a.startsWith(`--${name}=`))
}

/** The positionals after --, when the command line has one (shell's command). */
export function afterTerminator(parsed: { tokens: readonly ({ kind: 'positional'; value: string } | { kind: 'option-terminator' } | { kind: 'option' })[] }): { before: string[]; after: string[] | undefined } {
  const before: string[] = []
  let after: string[] | undefined
  for (const k of parsed.tokens) {
    if (k.kind === 'option-terminator') after = []
    else if (k.kind === 'positional') (after ?? before).push(k.value)
  }
  return { before, after }
}

/**
 * A problem as the error a command throws (exit 2), in the one form. The
 * help argument is what commands passed before there was one form; it is
 * not printed any more (a usage error never dumps the help).
 */
export function usageError(problem: UsageProblem, _help?: string): UsageError {
  return new UsageError(problem.command, problem.message)
}

/** A problem as the line a command prints itself: "nslab grade: …". */
export function usageLine(problem: UsageProblem): string {
  return `${problem.command}: ${problem.message}`
}
