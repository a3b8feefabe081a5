/**
 * What nslab's exit status means, for every command. `nslab --help` prints
 * this table and docs/reference.md is generated from it.
 */
export const EXIT_CODES: readonly { code: string; meaning: string }[] = [
  { code: '0', meaning: 'all passed (run, prove, check: every task done; lint: every lab valid)' },
  { code: '1', meaning: 'a lab, check or submission failed (check: some tasks are not done yet)' },
  { code: '2', meaning: 'an invalid lab, a lab or file that is not there, or a command line nslab cannot take' },
  { code: '3', meaning: 'the machine lacks a prerequisite (the message names the Debian package, sysctl or kernel module)' },
  { code: '70', meaning: "an internal error: a bug of nslab's (NSLAB_DEBUG=1 shows where)" },
  { code: '130, 143', meaning: 'stopped by Ctrl-C (SIGINT) or SIGTERM, after tearing its lab hosts down (129: SIGHUP)' },
]
