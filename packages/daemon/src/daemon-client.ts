/**
 * How the operator commands reach a running daemon: its HTTP base URL from `--http`, or
 * from the data dir's daemon.json (daemon-file.ts); its bearer token from
 * --http-token-file, else the file daemon.json names, else DIR/http-token; and JSON
 * requests to it. Failures are OperatorError, whose message is what the command prints
 * (exit 1).
 */
import { resolve } from 'node:path'
import { OPERATOR_REQUEST_TIMEOUT_MS } from './constants.js'
import { readDaemonFile } from './daemon-file.js'
import { defaultTokenFile, HttpTokenFileError, readTokenFile } from './http-token.js'
import { readLeftMarker } from './left-marker.js'
import type { DaemonTarget } from './operator-args.js'

export class OperatorError extends Error {
  static override name = 'OperatorError'
  override name = 'OperatorError'
}

/** The daemon could not be reached at all (connection refused, reset, timeout). */
export class UnreachableError extends OperatorError {
  static override name = 'UnreachableError'
  override name = 'UnreachableError'
}

export interface Connection {
  readonly base: string
  /** The bearer token every request carries. */
  readonly token: string
  /** Known from daemon.json (with --data-dir). */
  readonly peerId?: string
  readonly pid?: number
  /** Absolute, with --data-dir. */
  readonly dataDir?: string
}

export async function connect (target: DaemonTarget): Promise<Connection> {
  if (target.http !== undefined) return { base: target.http, token: await token(target.tokenFile ?? '') }
  const dataDir = resolve(target.dataDir)
  const file = await readDaemonFile(dataDir)
  if (file !== undefined) {
    return { base: file.http, token: await token(target.tokenFile ?? file.tokenFile ?? defaultTokenFile(dataDir)), peerId: file.peerId, pid: file.pid, dataDir }
  }
  const left = await readLeftMarker(dataDir)
  if (left !== undefined) {
    throw new OperatorError(`no daemon runs on ${dataDir}: its peer ${left.peerId} left the cluster${left.drained ? ' (hand-off complete)' : ', but stopped before its hand-off finished'}`)
  }
  throw new OperatorError(`no running daemon for data dir ${dataDir} (no live ${dataDir}/daemon.json): start it, or give --http HOST:PORT`)
}

async function token (file: string): Promise<string> {
  try {
    return await readTokenFile(file)
  } catch (error) {
    if (error instanceof HttpTokenFileError) throw new OperatorError(`${error.message} (the daemon's HTTP token: give --http-token-file FILE)`)
    throw error
  }
}

export interface JsonReply {
  readonly status: number
  readonly body: Record<string, unknown>
}

/** One request; the reply's JSON body (every reply of the API is JSON). */
export async function requestJson ({ base, token }: Pick<Connection, 'base' | 'token'>, method: 'GET' | 'POST', path: string, body?: unknown): Promise<JsonReply> {
  let response: Response
  try {
    const auth = { Authorization: `Bearer ${token}` }
    response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? auth : { ...auth, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(OPERATOR_REQUEST_TIMEOUT_MS)
    })
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error)
    throw new UnreachableError(`cannot reach the daemon at ${base} (${cause})`)
  }
  const text = await response.text()
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> }
  } catch {
    throw new OperatorError(`${base}${path} answered ${response.status} without JSON: is this a ringstore daemon?`)
  }
}

/** The reply's body when its status is `expected`, else an OperatorError with the daemon's message. */
export function expectStatus (reply: JsonReply, expected: number, what: string): Record<string, unknown> {
  if (reply.status === expected) return reply.body
  const { error, message } = reply.body
  throw new OperatorError(`${what}: the daemon answered ${reply.status} ${String(error)}: ${String(message)}`)
}
