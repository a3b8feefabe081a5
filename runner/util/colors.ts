// A few ANSI styles, so no color library is needed. Whether to use them is
// decided once, by colorEnabled, from the command line, the stream and the
// environment.

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

/** --color or --no-color on the command line: it wins over everything else. */
let choice: boolean | undefined

/** What --color (true) or --no-color (false) asked for; undefined: decide from the stream and the environment. */
export function setColorChoice(on: boolean | undefined): void {
  choice = on
}

/**
 * CI services whose build logs show ANSI colours, by the variable each sets
 * (as supports-color, which vitest and tap use, knows them). A bare CI=true
 * says nothing about the log, so it alone turns nothing on.
 */
export const CI_LOGS_WITH_COLOR = ['GITHUB_ACTIONS', 'GITLAB_CI', 'GITEA_ACTIONS', 'BUILDKITE', 'CIRCLECI', 'DRONE', 'TRAVIS', 'APPVEYOR', 'WOODPECKER'] as const

/**
 * In this order: --color / --no-color; FORCE_COLOR (anything but "0" or
 * "false" turns colour on anywhere; it wins over NO_COLOR, as in Node
 * itself); NO_COLOR (no-color.org: present and not empty) and TERM=dumb turn
 * it off; a terminal turns it on; and so does a CI log that shows colours
 * (CI set, and one of CI_LOGS_WITH_COLOR).
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (choice !== undefined) return choice
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false'
  if (env.NO_COLOR) return false
  if (env.TERM === 'dumb') return false
  if (stream.isTTY === true) return true
  return ciLogShowsColor(env)
}

function ciLogShowsColor(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI
  if (ci === undefined || ci === '' || ci === '0' || ci.toLowerCase() === 'false') return false
  return CI_LOGS_WITH_COLOR.some((v) => env[v] !== undefined && env[v] !== '' && env[v] !== 'false')
}
