// The info string of a fenced block: `LANG ROLE key=value …`, or `check …` /
// `output` alone. Machine names in on= are looked up later by parseLab,
// which knows the topology.

import type { ScriptRole } from './lab.js'
import { suggestion } from '../util/did-you-mean.js'
import { parseDuration } from '../util/parse-duration.js'
import { splitWords, type Word } from './split-words.js'

export type InfoKind = 'script' | 'output' | 'check' | 'shown'

export interface ParsedInfo {
  kind: InfoKind
  lang: string
  role?: ScriptRole
  on?: string
  exit?: number | 'any'
  timeoutMs?: number
  background: boolean
  id?: string
  hint?: string
  after?: string
  /** Plain sentences, each about this fence's line. */
  problems: string[]
}

export const ROLES: ScriptRole[] = ['step', 'setup', 'solution']
/** Languages a script block may name: it runs in bash whatever it says. */
export const SCRIPT_LANGS = ['sh', 'bash', 'console', 'shell']

const SCRIPT_OPTIONS = ['on', 'exit', 'timeout', 'background']
const STEP_OPTIONS = [...SCRIPT_OPTIONS, 'id']
const SOLUTION_OPTIONS = [...SCRIPT_OPTIONS, 'id']
const FLAGS = new Set(['background'])

/** `column0`: where the info string starts on its line, for the columns of errors. */
export function parseInfo(info: string, fence: string, column0 = 0): ParsedInfo {
  const out: ParsedInfo = { kind: 'shown', lang: '', background: false, problems: [] }
  const split = splitWords(info, column0)
  if ('error' in split) {
    out.problems.push(`bad info string: ${split.error}`)
    return out
  }
  const words = split.words
  const first = words[0]
  if (!first) return out

  let rest: Word[]
  if (first.key === undefined && (first.text === 'check' || first.text === 'output')) {
    out.kind = first.text
    rest = words.slice(1)
  } else if (first.key === undefined && (ROLES as string[]).includes(first.text)) {
    out.problems.push(`a ${first.text} needs a language before its role: write ${fence}sh ${first.text}`)
    out.kind = 'script'
    out.role = first.text as ScriptRole
    out.lang = 'sh'
    rest = words.slice(1)
  } else {
    out.lang = first.key === undefined ? first.text : first.raw
    const second = words[1]
    if (second === undefined) return out
    if (second.key !== undefined || FLAGS.has(second.text)) {
      out.problems.push(`options need a role: write ${fence}${out.lang} step ${second.raw} (or setup, or solution); a block without a role is only shown`)
      return out
    }
    if (second.text === 'check' || second.text === 'output') {
      out.problems.push(`${an(second.text)} ${second.text} block has no language: write ${fence}${second.text}`)
      out.kind = second.text
      rest = words.slice(2)
    } else if ((ROLES as string[]).includes(second.text)) {
      out.kind = 'script'
      out.role = second.text as ScriptRole
      rest = words.slice(2)
      if (!SCRIPT_LANGS.includes(out.lang)) {
        out.problems.push(
          `a ${out.role} runs in bash, so its language is ${SCRIPT_LANGS.join(', ')}, not "${out.lang}"${suggestion(out.lang, SCRIPT_LANGS)}`,
        )
      }
    } else {
      const hint = suggestion(second.text, [...ROLES, 'check', 'output'])
      out.problems.push(
        `unknown role "${second.text}"${hint || `; a block's role is step, setup or solution (${fence}sh step), or the block is ${fence}check or ${fence}output`}`,
      )
      return out
    }
  }

  if (out.kind === 'script') readScriptOptions(out, rest)
  else if (out.kind === 'check') readCheckOptions(out, rest)
  else if (rest.length > 0) out.problems.push(`an output block takes no options, but has "${rest[0]!.raw}"`)
  return out
}

function an(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a'
}

function readScriptOptions(out: ParsedInfo, words: Word[]): void {
  const role = out.role!
  const allowed = role === 'solution' ? SOLUTION_OPTIONS : role === 'step' ? STEP_OPTIONS : SCRIPT_OPTIONS
  const list = allowed.map((o) => (FLAGS.has(o) ? o : `${o}=`)).join(', ')
  const seen = new Set<string>()
  for (const w of words) {
    const name = w.key ?? w.text
    if (!allowed.includes(name)) {
      if (name === 'id') out.problems.push(`id= names a step or the answer to an exercise, so a ${role} has none`)
      else out.problems.push(`unknown option "${name}" for a ${role}${suggestion(name, allowed) || `; a ${role} takes ${list}`}`)
      continue
    }
    if (seen.has(name)) {
      out.problems.push(`${FLAGS.has(name) ? name : `${name}=`} is given twice`)
      continue
    }
    seen.add(name)
    if (FLAGS.has(name)) {
      if (w.key !== undefined) out.problems.push(`${name} takes no value: write ${name} alone`)
      else out.background = true
      continue
    }
    if (w.key === undefined) {
      out.problems.push(`${name} needs a value: write ${name}=${name === 'on' ? 'NAME' : name === 'exit' ? 'N' : name === 'id' ? 'NAME' : '5s'}`)
      continue
    }
    const v = w.text
    switch (name) {
      case 'on':
        if (v === '') out.problems.push('on= needs the name of a machine, e.g. on=box1')
        else out.on = v
        break
      case 'exit':
        if (v === 'any') out.exit = 'any'
        else if (/^\d{1,3}$/.test(v) && Number(v) <= 255) out.exit = Number(v)
        else out.problems.push(`bad exit=${w.raw.slice(5)}: write a status from 0 to 255, or exit=any`)
        break
      case 'timeout': {
        const d = parseDuration(v)
        if ('error' in d) out.problems.push(`bad timeout=: ${d.error}`)
        else if (d.ms <= 0) out.problems.push('bad timeout=: a time limit must be more than 0')
        else out.timeoutMs = d.ms
        break
      }
      case 'id':
        if (ID.test(v)) out.id = v
        else out.problems.push(`bad id "${v}": an id is letters, digits, -, _ and ., starting with a letter or digit`)
        break
    }
  }
}

const CHECK_OPTIONS = ['hint', 'after']

function readCheckOptions(out: ParsedInfo, words: Word[]): void {
  const seen = new Set<string>()
  for (const w of words) {
    const name = w.key ?? w.text
    if (!CHECK_OPTIONS.includes(name)) {
      out.problems.push(`unknown option "${name}" for a check block${suggestion(name, CHECK_OPTIONS) || '; a check block takes hint="…" and after=STEP-ID'}`)
      continue
    }
    if (seen.has(name)) {
      out.problems.push(`${name}= is given twice`)
      continue
    }
    seen.add(name)
    if (name === 'hint') {
      if (w.key === undefined || w.text.trim() === '') out.problems.push('hint needs a text: write hint="…"')
      else out.hint = w.text
    } else if (w.key === undefined || w.text === '') out.problems.push('after needs the id= of a step before the block: write after=STEP-ID')
    else if (!ID.test(w.text)) out.problems.push(`bad after=${w.text}: an id is letters, digits, -, _ and ., starting with a letter or digit`)
    else out.after = w.text
  }
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
