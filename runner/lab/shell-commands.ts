// The simple commands of a step's bash script, each with the line it starts
// on: what prove's rule (does a step only look?), lint (interactive
// commands, namespaces a lab makes) and `nslab import` need to know of a
// script. Written here rather than taken from a library: the bash parsers on
// npm are unmaintained or a megabyte of compiled Go, and these callers need
// only a shallow reading with line numbers, here-documents skipped, and an
// honest "not understood" (`complex`) where a full parser would be needed.
// Linear in the script's length.

export interface ShellCommand {
  /** Line (1-based, within the script) of the command's first word. */
  line: number
  /** Line of its last character (a continued command spans several). */
  endLine: number
  /** Its words after leading assignments and keywords, unquoted. */
  words: string[]
  /** Per word: plain text, with no expansion ($, `, globs) whose value only bash knows. */
  literal: boolean[]
  /** NAME=value words before it. */
  assignments: string[]
  /** It writes a file: an output redirection (>, >>, &>) to anything but /dev/null or a descriptor. */
  writesFile: boolean
  /** Ended by & (runs in the background). */
  background: boolean
  /** Part of a pipeline with the command after it (|). */
  piped: boolean
  /** It reads a here-document or here-string. */
  hereDoc: boolean
  /** The command as written, on one line. */
  text: string
}

export interface ShellScript {
  commands: ShellCommand[]
  /** Something this reading does not follow (case, an unclosed quote): callers should assume the worst. */
  complex: boolean
}

/** Words that start or end compound commands; a command's first real word comes after them. */
const PREFIX_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', 'time', '{', '('])
const END_KEYWORDS = new Set(['fi', 'done', '}', 'esac'])
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/

interface Word {
  text: string
  literal: boolean
  /** Quoted in any part (a quoted keyword is not a keyword). */
  quoted: boolean
  /** Offsets in the script: where it starts, and the line it starts on. */
  start: number
  line: number
}

/** The simple commands of a bash script, in order. */
export function shellCommands(script: string): ShellScript {
  const s = script.replace(/\r\n/g, '\n')
  const n = s.length
  const commands: ShellCommand[] = []
  let complex = false
  let i = 0
  let line = 1

  // The command being read.
  let words: Word[] = []
  /** End of the command's last word or redirection, for its text. */
  let lastEnd = 0
  let writesFile = false
  let hereDoc = false
  let redirectNext: 'out' | 'in' | 'heredoc' | 'heredoc-strip' | undefined
  const pendingHereDocs: { delimiter: string; strip: boolean }[] = []
  /** Inside `for NAME in …` or `case … in`: words up to the next ; or newline are no command. */
  let skipHeader = false

  const finish = (op: string) => {
    if (words.length > 0 && !skipHeader) {
      const assignments: string[] = []
      let k = 0
      for (; k < words.length; k++) {
        const w = words[k]!
        if (!w.quoted && PREFIX_KEYWORDS.has(w.text)) continue
        if (ASSIGNMENT.test(w.text) && !w.quoted) {
          assignments.push(w.text)
          continue
        }
        break
      }
      let rest = words.slice(k)
      if (rest.length === 1 && !rest[0]!.quoted && END_KEYWORDS.has(rest[0]!.text)) rest = []
      if (rest.length > 0 && !rest[0]!.quoted && END_KEYWORDS.has(rest[0]!.text)) rest = rest.slice(1)
      if (rest.length > 0 || assignments.length > 0) {
        const first = rest[0] ?? words[k - 1] ?? words[0]!
        commands.push({
          line: first.line,
          endLine: line - (s[lastEnd - 1] === '\n' ? 1 : 0),
          words: rest.map((w) => w.text),
          literal: rest.map((w) => w.literal),
          assignments,
          writesFile,
          background: op === '&',
          piped: op === '|' || op === '|&',
          hereDoc,
          text: s.slice(first.start, lastEnd).replace(/\\\n/g, ' ').replace(/\s+/g, ' ').trim(),
        })
      }
    }
    if (op === ';' || op === '\n' || op === '') skipHeader = false
    words = []
    writesFile = false
    hereDoc = false
    redirectNext = undefined
  }

  const readHereDocs = () => {
    // At a newline: the bodies of the here-documents started on the line before.
    for (const h of pendingHereDocs) {
      for (;;) {
        if (i >= n) return
        const eol = s.indexOf('\n', i)
        const end = eol < 0 ? n : eol
        let text = s.slice(i, end)
        if (h.strip) text = text.replace(/^\t+/, '')
        i = eol < 0 ? n : eol + 1
        if (eol >= 0) line++
        if (text === h.delimiter) break
      }
    }
    pendingHereDocs.length = 0
  }

  /** Read one word starting at i; returns it and leaves i after it. */
  const readWord = (): Word => {
    const start = i
    const wordLine = line
    let text = ''
    let literal = true
    let quoted = false
    while (i < n) {
      const c = s[i]!
      if (c === ' ' || c === '\t' || c === '\n' || c === ';' || c === '&' || c === '|' || c === '<' || c === '>' || c === ')') break
      if (c === '(' && (text === '' || s[i + 1] === ')')) break
      if (c === '\\') {
        if (s[i + 1] === '\n') {
          i += 2
          line++
          continue
        }
        text += s[i + 1] ?? ''
        quoted = true
        i += 2
        continue
      }
      if (c === "'") {
        const end = s.indexOf("'", i + 1)
        if (end < 0) {
          complex = true
          text += s.slice(i + 1)
          i = n
          break
        }
        const part = s.slice(i + 1, end)
        line += count(part, '\n')
        text += part
        quoted = true
        i = end + 1
        continue
      }
      if (c === '$' && s[i + 1] === "'") {
        const end = closing(s, i + 2, "'")
        const part = s.slice(i + 2, end)
        line += count(part, '\n')
        text += part.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\(.)/g, '$1')
        quoted = true
        i = end + 1
        continue
      }
      if (c === '"') {
        i++
        while (i < n && s[i] !== '"') {
          const d = s[i]!
          if (d === '\\' && i + 1 < n) {
            const e = s[i + 1]!
            if (e === '\n') line++
            else text += '"\\$`'.includes(e) ? e : `\\${e}`
            i += 2
            continue
          }
          if (d === '$' || d === '`') {
            literal = false
            const end = expansionEnd(s, i)
            const part = s.slice(i, end)
            line += count(part, '\n')
            text += part
            i = end
            continue
          }
          if (d === '\n') line++
          text += d
          i++
        }
        if (i >= n) complex = true
        quoted = true
        i++
        continue
      }
      if (c === '$' || c === '`') {
        literal = false
        const end = expansionEnd(s, i)
        const part = s.slice(i, end)
        line += count(part, '\n')
        text += part
        i = end
        continue
      }
      if (c === '*' || c === '?' || c === '[' || c === '~' || c === '{') {
        // A glob, a brace expansion or ~ is bash's to expand; text as written.
        if (c !== '{' || /\{[^}]*[,.][^}]*\}/.test(s.slice(i, i + 64))) literal = false
      }
      text += c
      i++
    }
    lastEnd = i
    return { text, literal, quoted, start, line: wordLine }
  }

  while (i < n) {
    const c = s[i]!
    if (c === '\n') {
      finish('\n')
      i++
      line++
      if (pendingHereDocs.length) readHereDocs()
      continue
    }
    if (c === ' ' || c === '\t') {
      i++
      continue
    }
    if (c === '#' && (i === 0 || /[\s;&|()]/.test(s[i - 1]!))) {
      const eol = s.indexOf('\n', i)
      i = eol < 0 ? n : eol
      continue
    }
    if (c === '\\' && s[i + 1] === '\n') {
      i += 2
      line++
      continue
    }
    if (c === ';' || c === '&' || c === '|') {
      let op = c
      if ((c === '&' && s[i + 1] === '&') || (c === '|' && s[i + 1] === '|') || (c === ';' && s[i + 1] === ';')) op += s[i + 1]
      else if (c === '|' && s[i + 1] === '&') op = '|&'
      else if (c === '&' && s[i + 1] === '>') {
        // &> and &>> write stdout and stderr to a file.
        i += s[i + 2] === '>' ? 3 : 2
        redirectNext = 'out'
        continue
      }
      if (op === ';;') complex = true
      finish(op)
      i += op.length
      continue
    }
    if (c === '(' && s[i + 1] === ')') {
      // NAME() { …: a function's definition; its body's commands are read as commands.
      words = []
      i += 2
      continue
    }
    if (c === '(' || c === ')') {
      // A subshell's parentheses: the commands inside are commands like the others.
      if (c === '(' && s[i + 1] === '(') {
        // (( arithmetic )) changes only variables.
        const end = s.indexOf('))', i)
        i = end < 0 ? n : end + 2
        continue
      }
      finish(c === ')' ? ';' : '')
      i++
      continue
    }
    if (c === '<' || c === '>' || (/[0-9]/.test(c) && /^[0-9]+[<>]/.test(s.slice(i, i + 4)))) {
      while (/[0-9]/.test(s[i]!)) i++
      const op = /^(<<<|<<-|<<|<>|<&|<|>>|>&|>\||>)/.exec(s.slice(i, i + 3))![0]
      i += op.length
      lastEnd = i
      if (op === '>&' || op === '<&') {
        // A descriptor (2>&1) or, with a word, a file (>&file): the word follows.
        while (s[i] === ' ' || s[i] === '\t') i++
        const start = i
        const target = readWord()
        if (!/^[0-9]+-?$|^-$/.test(target.text) && op === '>&') writesFile = true
        if (i === start) i++
        continue
      }
      if (op === '<<' || op === '<<-') redirectNext = op === '<<' ? 'heredoc' : 'heredoc-strip'
      else if (op === '<<<') {
        hereDoc = true
        redirectNext = 'in'
      } else redirectNext = op.startsWith('>') || op === '<>' ? 'out' : 'in'
      continue
    }
    // A word.
    const at = i
    const w = readWord()
    if (i === at) {
      // Nothing read (a stray character): step over it.
      i++
      continue
    }
    if (redirectNext) {
      const r = redirectNext
      redirectNext = undefined
      if (r === 'out' && w.text !== '/dev/null' && !/^&?[0-9]+$/.test(w.text)) writesFile = true
      if (r === 'heredoc' || r === 'heredoc-strip') {
        hereDoc = true
        pendingHereDocs.push({ delimiter: w.text, strip: r === 'heredoc-strip' })
      }
      continue
    }
    if (words.length === 0 && !w.quoted && (w.text === 'for' || w.text === 'select')) skipHeader = true
    if (words.length === 0 && !w.quoted && w.text === 'case') {
      complex = true
      skipHeader = true
    }
    words.push(w)
  }
  finish('')
  if (pendingHereDocs.length) complex = true
  return { commands, complex }
}

function count(s: string, c: string): number {
  let k = 0
  for (let j = s.indexOf(c); j >= 0; j = s.indexOf(c, j + 1)) k++
  return k
}

/** Index of the closing quote `q` from `from`, backslash escapes skipped; the end of s when none. */
function closing(s: string, from: number, q: string): number {
  for (let j = from; j < s.length; j++) {
    if (s[j] === '\\') j++
    else if (s[j] === q) return j
  }
  return s.length
}

/** End (exclusive) of the expansion at s[i] ($VAR, ${…}, $(…), $((…)), `…`). */
function expansionEnd(s: string, i: number): number {
  if (s[i] === '`') return Math.min(s.length, closing(s, i + 1, '`') + 1)
  const next = s[i + 1]
  if (next === '(' || next === '{') {
    const open = next
    const close = open === '(' ? ')' : '}'
    let depth = 0
    for (let j = i + 1; j < s.length; j++) {
      const c = s[j]
      if (c === '\\') j++
      else if (c === "'" && open === '(') j = closing(s, j + 1, "'")
      else if (c === '"') j = closing(s, j + 1, '"')
      else if (c === open) depth++
      else if (c === close && --depth === 0) return j + 1
    }
    return s.length
  }
  const m = /^\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])?/.exec(s.slice(i, i + 256))
  return i + Math.max(1, m![0].length)
}
