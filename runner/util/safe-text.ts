// Names, titles, outputs and evidence come from learners, lab authors and
// their programs. A control character in them acts on whoever reads the
// report: ESC moves the cursor or retitles a terminal, BEL rings, a bidi
// override (U+202E) shows "gpj.exe" as "exe.jpg" in a gradebook or on a web
// page. Every report shows them as visible escapes instead (\x1b, \u202e),
// so that what a person reads is what is there. plain-text.ts removes what a
// terminal would have swallowed from a program's output; this is the last
// step before a report, for any text.

/**
 * C0 controls but tab and newline, DEL, the C1 controls, and Unicode's
 * bidirectional formatting: the marks (U+200E, U+200F, U+061C), the
 * embeddings and overrides (U+202A–U+202E) and the isolates (U+2066–U+2069);
 * and lone surrogates, which are no character at all (and not XML).
 */
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
/** The same, and tab and newline: for text that must stay on one line (a name, a CSV cell). */
const UNSAFE_IN_LINE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
/** Bidi formatting and C1: what JSON.stringify leaves as they are (it escapes C0 itself). */
const UNSAFE_IN_JSON = /[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/** \x1b for a byte-range control, \u202e for the others. */
export function visibleEscape(ch: string): string {
  const code = ch.codePointAt(0) ?? 0
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** Text with every control that is not tab or newline shown as an escape. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, visibleEscape)
}

/** One line of text: also tabs and newlines as escapes (names, titles, paths). */
export function safeLine(text: string): string {
  return text.replace(UNSAFE_IN_LINE, visibleEscape)
}

/**
 * JSON text with C1 controls and bidi formatting written as \u escapes: the
 * same data to a parser, nothing that reorders a line to a person reading
 * the file. They can only occur inside strings, where \uXXXX means them.
 */
export function safeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`)
}

// Our own styles: SGR sequences (colors, bold, dim), nothing else.
const OWN_STYLE = /\x1b\[[0-9;]*m/y

/**
 * Text for the terminal that may hold nslab's own colors: every control is
 * escaped but SGR style sequences. Fields from outside are escaped before
 * they are colored (safeText, safeLine), so an ESC that reaches this came
 * from a field that was missed, and only a style gets through.
 */
export function safeTerminal(text: string): string {
  let out = ''
  let last = 0
  for (const m of text.matchAll(UNSAFE)) {
    const i = m.index ?? 0
    if (i < last) continue
    if (m[0] === '\x1b') {
      OWN_STYLE.lastIndex = i
      const style = OWN_STYLE.exec(text)
      if (style) {
        out += text.slice(last, i + style[0].length)
        last = i + style[0].length
        continue
      }
    }
    out += text.slice(last, i) + visibleEscape(m[0])
    last = i + 1
  }
  return out + text.slice(last)
}
