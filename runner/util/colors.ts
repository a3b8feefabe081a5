// A few ANSI styles, so no color library is needed. Whether to use them is
// decided once, by colorEnabled, from the stream and the environment.

export interface Colors {
  enabled: boolean
  green(text: string): string
  red(text: string): string
  yellow(text: string): string
  cyan(text: string): string
  dim(text: string): string
  bold(text: string): string
}

function style(open: number, close: number, enabled: boolean): (text: string) => string {
  return enabled ? (text) => (text === '' ? '' : `\x1b[${open}m${text}\x1b[${close}m`) : (text) => text
}

export function createColors(enabled: boolean): Colors {
  return {
    enabled,
    green: style(32, 39, enabled),
    red: style(31, 39, enabled),
    yellow: style(33, 39, enabled),
    cyan: style(36, 39, enabled),
    dim: style(2, 22, enabled),
    bold: style(1, 22, enabled),
  }
}

/**
 * Color when the stream is a terminal, unless NO_COLOR is set (no-color.org:
 * present and not empty) or TERM is dumb. FORCE_COLOR (anything but "0" or
 * "false") turns color on anywhere, and wins over NO_COLOR, as in Node itself.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false'
  if (env.NO_COLOR) return false
  if (env.TERM === 'dumb') return false
  return stream.isTTY === true
}
