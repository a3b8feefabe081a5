// A lab file's bytes as text: UTF-8 only (a NUL byte or a malformed sequence
// means it is not a text file), with a byte order mark dropped and CRLF or CR
// line ends made LF, so that such a file parses like its plain twin.

export type DecodedText = { text: string } | { line: number; message: string }

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function lineOfIndex(s: string | Uint8Array, index: number): number {
  let line = 1
  for (let i = 0; i < index; i++) {
    const c = typeof s === 'string' ? s.charCodeAt(i) : s[i]
    if (c === 10) line++
  }
  return line
}

export function decodeLabText(input: string | Uint8Array): DecodedText {
  let text: string
  if (typeof input === 'string') {
    text = input
  } else {
    const nul = input.indexOf(0)
    if (nul >= 0) return { line: lineOfIndex(input, nul), message: 'not a text file: a lab is Markdown in UTF-8, and this file has NUL bytes' }
    try {
      text = decoder.decode(input)
    } catch {
      return { line: lineOfIndex(input, firstBadUtf8(input)), message: 'not a text file: a lab is Markdown in UTF-8, and this file is not valid UTF-8' }
    }
  }
  const nul = text.indexOf('\0')
  if (nul >= 0) return { line: lineOfIndex(text, nul), message: 'not a text file: a lab is Markdown in UTF-8, and this file has NUL characters' }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n')
  return { text }
}

/** Index of the first byte that breaks UTF-8, to say which line is at fault. */
function firstBadUtf8(b: Uint8Array): number {
  let i = 0
  while (i < b.length) {
    const c = b[i]!
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1
    if (n < 0) return i
    for (let k = 1; k <= n; k++) {
      const d = b[i + k]
      if (d === undefined || (d & 0xc0) !== 0x80) return i
    }
    // Over-long forms, surrogates and code points past U+10FFFF: second-byte limits (RFC 3629).
    const d1 = b[i + 1] ?? 0
    if ((c === 0xe0 && d1 < 0xa0) || (c === 0xed && d1 > 0x9f) || (c === 0xf0 && d1 < 0x90) || (c === 0xf4 && d1 > 0x8f)) return i
    i += n + 1
  }
  return b.length
}
