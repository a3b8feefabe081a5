/** The options of `nslab check LAB --target ssh://…` (check-target-command.ts); CHECK_HELP says them. */
export const CHECK_TARGET_OPTIONS = {
  target: { type: 'string' },
  identity: { type: 'string', short: 'i' },
  sudo: { type: 'boolean', default: false },
  exercise: { type: 'string', multiple: true },
  address: { type: 'string', multiple: true },
  'connect-timeout': { type: 'string' },
  'known-hosts': { type: 'string' },
  reporter: { type: 'string', default: 'terminal' },
  junit: { type: 'string' },
  json: { type: 'string' },
  verbose: { type: 'boolean', default: false },
} as const
