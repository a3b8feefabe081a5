// A lab named on a command line, as every command reads it (run, lint,
// prove, up, grade, check, labs): a file or folder as given; else a lab by
// name, from labs/ here, then from the labs that come with nslab. So a lab
// author's own labs/ wins over nslab's, and `nslab run snat-outbound` works
// from any folder once nslab is installed.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { didYouMean } from '../util/did-you-mean.js'
import { NslabError } from '../util/nslab-error.js'
import { packageRoot } from '../util/package-root.js'
import { safeLine } from '../util/safe-text.js'

/** The folder of the labs that come with nslab. */
export function bundledLabsDir(): string {
  return join(packageRoot(), 'labs')
}

/** The folder a command uses when none is named: labs/ here, when there is one. */
export const DEFAULT_LAB_FOLDER = 'labs'

/** labs/ here, or undefined. */
export function defaultLabFolder(cwd = process.cwd()): string | undefined {
  return isDir(resolve(cwd, DEFAULT_LAB_FOLDER)) ? DEFAULT_LAB_FOLDER : undefined
}

/** The lab files of a folder (*.md but README.md), sorted. */
export function labFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md')
    .sort()
}

/** Labs by name: labs/ here, then nslab's own; a name here hides nslab's of the same name. */
export function labNames(cwd = process.cwd()): { name: string; file: string }[] {
  const seen = new Map<string, string>()
  for (const dir of [resolve(cwd, DEFAULT_LAB_FOLDER), bundledLabsDir()]) {
    if (!isDir(dir)) continue
    for (const f of labFilesIn(dir)) {
      const name = f.replace(/\.md$/, '')
      if (!seen.has(name)) seen.set(name, join(dir, f))
    }
  }
  return [...seen].map(([name, file]) => ({ name, file }))
}

/**
 * What a lab argument names: the path as given when it exists (file or
 * folder), else NAME.md here, else labs/NAME(.md) here, else nslab's own
 * labs/NAME(.md). Throws NOT_FOUND, with the nearest name or the names there are.
 */
export function resolveLabPath(arg: string, cwd = process.cwd()): string {
  const at = (p: string) => resolve(cwd, p)
  if (exists(at(arg))) return arg
  const pathLike = arg.includes('/')
  if (!pathLike) {
    const own = bundledLabsDir()
    const md = arg.endsWith('.md') ? arg : `${arg}.md`
    for (const c of [md, join(DEFAULT_LAB_FOLDER, arg), join(DEFAULT_LAB_FOLDER, md)]) if (exists(at(c))) return c
    for (const c of [join(own, arg), join(own, md)]) if (exists(c)) return c
  }
  throw notFound(arg, cwd)
}

function notFound(arg: string, cwd: string): NslabError {
  const shown = safeLine(arg)
  if (arg.includes('/')) {
    // A path with a typo: the nearest name in its folder.
    const dir = resolve(cwd, dirname(arg))
    const near = isDir(dir) ? didYouMean(basename(arg), readdirSync(dir)) : undefined
    return new NslabError({
      code: 'NOT_FOUND',
      message: `no such lab or folder: ${shown}${near ? ` (did you mean ${safeLine(join(dirname(arg), near))}?)` : ''}`,
    })
  }
  const names = labNames(cwd).map((l) => l.name)
  const near = didYouMean(arg.replace(/\.md$/, ''), names)
  return new NslabError({
    code: 'NOT_FOUND',
    message: `no such lab: ${shown}${near ? ` (did you mean ${near}?)` : names.length ? ` (labs: ${names.join(', ')})` : ''}`,
    fix: 'nslab labs lists the labs by name; a lab file or folder can be named by its path',
  })
}

function exists(p: string): boolean {
  return existsSync(p)
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}
