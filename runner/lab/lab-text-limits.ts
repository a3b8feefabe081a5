// The sizes a lab may have (docs/lab-format.md, "Limits"). Past them a lab is
// refused with a sentence, before the work that grows with them: every part
// of reading a lab is linear in its size, and these keep the size small
// enough that reading any lab takes about a second at most.

/** A lab file: refused before it is parsed. */
export const MAX_LAB_BYTES = 10 * 1024 * 1024
/** One fenced block's content (a step, an output, a check block). */
export const MAX_BLOCK_BYTES = 1024 * 1024
/** Containers of a topology: each is a network namespace and a veth pair. */
export const MAX_CONTAINERS = 250
/** How deep lists and quotes nest. */
export const MAX_NESTING = 32
/** A fence's info string: `sh step on=box1 timeout=5s` is 26. */
export const MAX_INFO_LENGTH = 1024
/** A `stdout /regex/`: compiling and matching it grow with its length. */
export const MAX_REGEX_LENGTH = 1024
/** Problems listed for one lab: past them nslab stops reading it. */
export const MAX_PROBLEMS = 1000

const MiB = 1024 * 1024

/** Bytes as MiB with one decimal; a size past `limit` never reads as the limit or less. */
export function mebibytes(bytes: number, limit = Infinity): string {
  let tenths = Math.round((bytes / MiB) * 10)
  if (bytes > limit && tenths * MiB <= limit * 10) tenths = Math.floor((limit * 10) / MiB) + 1
  return `${(tenths / 10).toFixed(1)} MiB`
}

/** The problem of a lab file of this many bytes, if it is too big. */
export function labSizeProblem(bytes: number): string | undefined {
  if (bytes <= MAX_LAB_BYTES) return undefined
  return `the lab is ${mebibytes(bytes, MAX_LAB_BYTES)}; the limit is 10 MiB: split it into several labs`
}
