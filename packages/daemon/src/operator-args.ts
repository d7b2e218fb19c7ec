/**
 * Command lines of the operator commands that talk to a running daemon (`ringstore leave`,
 * `ringstore status`), parsed like `ringstore start`'s (args.ts: strict parseArgs, every
 * value checked, UsageError → exit 2). Which daemon: `--http ADDR`, or `--data-dir DIR`
 * (its daemon.json says where it serves), by default the default data dir.
 */
import { parseArgs } from 'node:util'
import { UsageError } from '@ringstore/core'
import { intOption, parseHostPort, usage } from './args.js'
import { DEFAULT_DATA_DIR, DEFAULT_LEAVE_TIMEOUT_S, MAX_LEAVE_TIMEOUT_S } from './constants.js'

/**
 * The daemon to talk to: its HTTP base URL, or the data dir whose daemon.json names it;
 * `tokenFile` (--http-token-file) where its bearer token is, by default the one
 * daemon.json names, else DIR/http-token.
 */
export type DaemonTarget =
  | { readonly http: string, readonly dataDir?: undefined, readonly tokenFile?: string }
  | { readonly dataDir: string, readonly http?: undefined, readonly tokenFile?: string }

export interface LeaveOptions {
  readonly target: DaemonTarget
  readonly timeoutS: number
}

export interface StatusOptions {
  readonly target: DaemonTarget
  readonly json: boolean
}

const targetOptions = {
  'data-dir': { type: 'string' },
  http: { type: 'string' },
  'http-token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

/** `null` when --help was asked for. */
export function parseLeaveArgs (argv: readonly string[]): LeaveOptions | null {
  const { values } = usage(() => parseArgs({ args: [...argv], options: { ...targetOptions, timeout: { type: 'string' } }, strict: true, allowPositionals: false }))
  if (values.help === true) return null
  return {
    target: daemonTarget(values['data-dir'], values.http, values['http-token-file']),
    timeoutS: intOption('timeout', values.timeout, DEFAULT_LEAVE_TIMEOUT_S, 1, MAX_LEAVE_TIMEOUT_S)
  }
}

/** `null` when --help was asked for. */
export function parseStatusArgs (argv: readonly string[]): StatusOptions | null {
  const { values } = usage(() => parseArgs({ args: [...argv], options: { ...targetOptions, json: { type: 'boolean' } }, strict: true, allowPositionals: false }))
  if (values.help === true) return null
  return { target: daemonTarget(values['data-dir'], values.http, values['http-token-file']), json: values.json === true }
}

export function daemonTarget (dataDir: string | undefined, http: string | undefined, tokenFile?: string): DaemonTarget {
  if (dataDir !== undefined && http !== undefined) throw new UsageError('give --data-dir or --http, not both')
  if (tokenFile === '') throw new UsageError('--http-token-file must not be empty')
  const token = tokenFile === undefined ? {} : { tokenFile }
  if (http !== undefined) {
    const base = httpBase(http)
    // Without a data dir there is no default place to look: guessing would send the wrong token.
    if (tokenFile === undefined) throw new UsageError('--http needs --http-token-file FILE (the daemon\'s token; its DATA_DIR/http-token by default)')
    return { http: base, ...token }
  }
  if (dataDir === '') throw new UsageError('--data-dir must not be empty')
  return { dataDir: dataDir ?? DEFAULT_DATA_DIR, ...token }
}

/** `HOST:PORT` (as `ringstore start --http` takes it) or the `http://HOST:PORT` a ready line prints. */
function httpBase (text: string): string {
  const bare = text.replace(/^http:\/\//, '').replace(/\/$/, '')
  const { host, port } = parseHostPort(bare)
  if (port === 0) throw new UsageError(`--http must name the daemon's port, got '${text}'`)
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}
