// The words of a command that a shell would pass on as they are, to run it
// without the shell (one process less for each of nslab's own looks).
// Written here rather than taken from a shell parser: nslab's looks are its own
// one-line commands, and anything past plain words keeps its shell.

/** Characters a word may have and mean the same to sh unquoted (what shellQuote leaves bare). */
const PLAIN = /^[A-Za-z0-9_/.:=,+@%-]+$/
/** sh's builtins and keywords: as a first word, the shell would not run a program of that name. */
const SHELL_OWN = new Set(
  ': . [ alias bg break cd chdir command continue echo eval exec exit export false fg getopts hash jobs kill local printf pwd read readonly return set shift test times trap true type ulimit umask unalias unset wait if then else elif fi for while until do done case esac in'.split(' '),
)

/**
 * The command's words when it is one command of plain words separated by single spaces, whose
 * first word names a program (no builtin, no assignment); undefined for anything a shell must read.
 */
export function plainWords(command: string): string[] | undefined {
  const words = command.split(' ')
  if (!words.every((w) => PLAIN.test(w))) return undefined
  const first = words[0]!
  if (SHELL_OWN.has(first) || first.includes('=')) return undefined
  return words
}
