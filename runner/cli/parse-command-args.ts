// One way for every command to read its arguments: node:util parseArgs,
// strict, plus what a command that takes file names needs. `nslab grade LAB *`
// in a class folder hands the shell's expansion to nslab, and a learner's
// folder named `--csv=x` would be read as an option (the gradebook written to
// x). As with rm and git: `--` ends the options, everything after it is a file;
// and an argument before it that looks like an option but names a file or
// folder here is refused, with the command to type instead. Problems come back
// as data; the command says them (usageError makes the usual NslabError).
import { lstatSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { NslabError } from '../util/nslab-error.js'
import { safeLine } from '../util/safe-text.js'

type Options = NonNullable<ParseArgsConfig['options']>

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
      message: string
    }

export type ParsedArgs<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true; tokens: true }>>

export type CommandArgs<O extends Options> = ({ ok: true } & ParsedArgs<O>) | { ok: false; problem: UsageProblem }

/** Parse a command's arguments: options until --, then file names; see the header. */
export function parseCommandArgs<O extends Options>(args: string[], spec: CommandArgsSpec<O>): CommandArgs<O> {
  const pathProblem = optionThatIsAPath(args, spec)
  if (pathProblem) return { ok: false, problem: pathProblem }
  try {
    const parsed = parseArgs({ args, options: spec.options, allowPositionals: true, strict: true, tokens: true })
    return { ok: true, ...parsed }
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    return { ok: false, problem: { kind: 'invalid', command: spec.command, code: err.code ?? 'ERR_PARSE_ARGS', message: err.message } }
  }
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

/** A problem as the error a command throws (exit 2); parseArgs' own ones with the command's help, as before. */
export function usageError(problem: UsageProblem, help?: string): NslabError {
  const message = problem.kind === 'invalid' && help !== undefined ? `${problem.message}\n\n${help}` : problem.message
  return new NslabError({ code: 'USAGE', message })
}

/** A problem as the line a command prints itself: "nslab grade: …". */
export function usageLine(problem: UsageProblem): string {
  return `${problem.command}: ${problem.message}`
}
