import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync, lstatSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { Answer, Submission } from './grade.js'
import { NslabError } from '../util/nslab-error.js'

export interface LoadSubmissionOptions {
  /** Answers larger than this are refused unread (default 256 KiB). */
  maxAnswerBytes?: number
}

export const DEFAULT_MAX_ANSWER_BYTES = 256 * 1024

/** File names an answer to exercise `id` may have, the preferred first. */
export function answerFileNames(id: string): string[] {
  return [`${id}.sh`, `${id}.bash`, id]
}

/**
 * A learner's submission: a folder with one file per exercise, named after
 * the exercise's id (exercise-1.sh, …), or a single file for a lab with one
 * exercise (or named after one exercise). Nothing here runs anything; an
 * answer that cannot run (missing, empty, binary, too large, a link) comes
 * back with a problem saying why, and is graded as failing.
 *
 * Nothing is read through a symbolic link: a submission that is one (a
 * learner's folder linked to someone else's, or to /etc) is refused unread,
 * and so is a link inside a submission folder. The folder is opened once,
 * with O_NOFOLLOW, and its files are read through that descriptor, so a
 * folder swapped for a link meanwhile cannot redirect the reads.
 */
export function loadSubmission(path: string, exerciseIds: string[], opts: LoadSubmissionOptions = {}): Submission {
  const max = opts.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES
  // "class/alice/" (as a shell completes it) would make lstat follow a link named alice.
  const own = path.length > 1 ? path.replace(/\/+$/, '') : path
  let st
  try {
    st = lstatSync(own)
  } catch {
    throw new NslabError({ code: 'NOT_FOUND', message: `no submission at ${path}: no such file or folder` })
  }
  const notes: string[] = []
  if (st.isSymbolicLink()) {
    // Every answer says it (the gradebook's reason); what the link points to is not looked at.
    const problem = `the submission ${basename(own)} is a symbolic link: it was not read (hand in the folder or file itself)`
    return { name: basename(own).replace(/\.(sh|bash)$/, ''), path, answers: exerciseIds.map((id): Answer => ({ id, problem, notes: [] })), notes }
  }
  if (st.isDirectory()) {
    const dir = openFolder(own)
    try {
      let entries: string[]
      try {
        entries = readdirSync(dir.path).sort()
      } catch (e) {
        throw new NslabError({ code: 'NOT_FOUND', message: `cannot read the submission folder ${path}: ${(e as Error).message}` })
      }
      const used = new Set<string>()
      const answers = exerciseIds.map((id): Answer => {
        const found = answerFileNames(id).filter((n) => entries.includes(n))
        const name = found[0]
        if (!name) return { id, problem: `no answer for ${id} (expected a file ${id}.sh)`, notes: [] }
        used.add(name)
        const answer = readAnswer(id, join(own, name), max, join(dir.path, name))
        for (const other of found.slice(1)) {
          used.add(other)
          answer.notes.push(`${other} was ignored: ${name} answers ${id}`)
        }
        return answer
      })
      const ignored = entries.filter((e) => !used.has(e) && !e.startsWith('.'))
      if (ignored.length) {
        notes.push(`ignored ${ignored.join(', ')}: not named after an exercise (${exerciseIds.map((id) => `${id}.sh`).join(', ')})`)
      }
      return { name: basename(own), path, answers, notes }
    } finally {
      dir.close()
    }
  }
  if (!st.isFile()) {
    const answers = exerciseIds.map((id): Answer => ({ id, problem: `the submission ${path} is neither a file nor a folder`, notes: [] }))
    return { name: basename(own), path, answers, notes }
  }
  // A single file: it answers the exercise it is named after, or a lab's only exercise.
  const file = basename(own)
  const stem = file.replace(/\.(sh|bash)$/, '')
  const named = exerciseIds.find((id) => answerFileNames(id).includes(file))
  const target = named ?? (exerciseIds.length === 1 ? exerciseIds[0] : undefined)
  const answers = exerciseIds.map((id): Answer => {
    if (id === target) return readAnswer(id, own, max)
    if (target !== undefined) return { id, problem: `no answer for ${id} (the submission is the single file ${file}, which answers ${target})`, notes: [] }
    return {
      id,
      problem: `no answer for ${id}: a single file answers a lab with one exercise, and this lab has ${exerciseIds.length} (hand in a folder with ${exerciseIds.map((x) => `${x}.sh`).join(', ')})`,
      notes: [],
    }
  })
  // A file named after an exercise says nothing of its learner: name them after its folder.
  const name = named ? basename(join(own, '..')) : stem
  return { name, path, answers, notes }
}

/**
 * A submission folder opened without following a link; its files are then
 * reached as /proc/self/fd/N/NAME, which is that very folder whatever its
 * path names by then.
 */
function openFolder(path: string): { path: string; close(): void } {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)
  } catch (e) {
    throw new NslabError({ code: 'NOT_FOUND', message: `cannot read the submission folder ${path}: ${(e as Error).message}` })
  }
  const viaFd = `/proc/self/fd/${fd}`
  let usable = false
  try {
    usable = statSync(viaFd).isDirectory()
  } catch {
    // no /proc: the path itself, checked just now
  }
  return { path: usable ? viaFd : path, close: () => closeSync(fd) }
}

/** One answer file (read at `at`, shown as `file`), read without following links or blocking on a pipe. */
function readAnswer(id: string, file: string, max: number, at: string = file): Answer {
  const shown = basename(file)
  const fail = (problem: string): Answer => ({ id, file, problem, notes: [] })
  let st
  try {
    st = lstatSync(at)
  } catch (e) {
    return fail(`${shown} cannot be read: ${(e as Error).message}`)
  }
  if (st.isSymbolicLink()) return fail(`${shown} is a symbolic link, not a file: hand in the script itself`)
  if (!st.isFile()) return fail(`${shown} is not a plain file`)
  if (st.size > max) return fail(`${shown} is ${formatBytes(st.size)}: an answer is at most ${formatBytes(max)}`)
  let bytes: Buffer
  let fd: number | undefined
  try {
    // O_NOFOLLOW and O_NONBLOCK: a file swapped for a link or a pipe since lstat cannot trap us.
    fd = openSync(at, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    const fst = fstatSync(fd)
    if (!fst.isFile()) return fail(`${shown} is not a plain file`)
    if (fst.size > max) return fail(`${shown} is ${formatBytes(fst.size)}: an answer is at most ${formatBytes(max)}`)
    bytes = Buffer.alloc(fst.size)
    let off = 0
    while (off < bytes.length) {
      const n = readSync(fd, bytes, off, bytes.length - off, off)
      if (n === 0) break
      off += n
    }
    bytes = bytes.subarray(0, off)
  } catch (e) {
    return fail(`${shown} cannot be read: ${(e as Error).message}`)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  const decoded = decodeAnswer(bytes)
  if ('problem' in decoded) return fail(`${shown} ${decoded.problem}`)
  return { id, file, script: decoded.script, notes: decoded.notes.map((n) => `${shown}: ${n}`) }
}

/** An answer's bytes as a script, or why they are not one. */
export function decodeAnswer(bytes: Uint8Array): { script: string; notes: string[] } | { problem: string } {
  const nul = bytes.indexOf(0)
  if (nul >= 0) return { problem: `is not a text file (a NUL byte at byte ${nul + 1}): hand in a shell script` }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return { problem: `is not a text file (it is not valid UTF-8 ${invalidAt(bytes)}): hand in a shell script` }
  }
  const notes: string[] = []
  // TextDecoder drops a UTF-8 byte order mark itself; say so.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) notes.push('a byte order mark at its start was removed')
  if (text.startsWith('\ufeff')) text = text.slice(1)
  if (text.includes('\r\n')) {
    text = text.replace(/\r\n/g, '\n')
    notes.push('Windows line ends (CRLF) were converted')
  }
  if (text.trim() === '') return { problem: bytes.length === 0 ? 'is empty' : 'is empty (only blank lines)' }
  return { script: text, notes }
}

/** Where the first byte that breaks UTF-8 is, for the sentence (TextDecoder gave the verdict). */
function invalidAt(b: Uint8Array): string {
  let i = 0
  while (i < b.length) {
    const c = b[i]!
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1
    let ok = n >= 0 && i + n < b.length
    for (let k = 1; ok && k <= n; k++) ok = ((b[i + k] ?? 0) & 0xc0) === 0x80
    if (!ok) return `at byte ${i + 1}, 0x${c.toString(16).padStart(2, '0')}`
    i += n + 1
  }
  return 'somewhere'
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`
  if (n < 1024 * 1024) return `${+(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${+(n / 1024 / 1024).toFixed(1)} MiB`
  return `${+(n / 1024 ** 3).toFixed(1)} GiB`
}
