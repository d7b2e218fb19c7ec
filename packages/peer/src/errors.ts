/**
 * Errors the engine raises to callers and adapters. Each has a stable `name` (survives
 * bundling); callers and tests match on it.
 */
import type { Operation } from './metrics.js'

/** Fewer than R (get) or W (put/delete) replicas answered in time. */
export class QuorumNotMetError extends Error {
  static override name = 'QuorumNotMetError'
  override name = 'QuorumNotMetError'
  constructor (readonly op: Operation, readonly acks: number, readonly required: number, detail = '') {
    super(`quorum not met for ${op}: ${acks} of ${required} required replicas acknowledged${detail ? ` (${detail})` : ''}`)
  }
}

/** The network could not reach the peer at all (no route, connection refused, partitioned). */
export class PeerUnreachableError extends Error {
  static override name = 'PeerUnreachableError'
  override name = 'PeerUnreachableError'
  constructor (readonly peer: string, detail = '') {
    super(`peer ${peer} unreachable${detail ? `: ${detail}` : ''}`)
  }
}

/** The peer did not answer within the request timeout. */
export class RequestTimeoutError extends Error {
  static override name = 'RequestTimeoutError'
  override name = 'RequestTimeoutError'
  constructor (readonly peer: string, readonly timeoutMs: number) {
    super(`request to ${peer} timed out after ${timeoutMs} ms`)
  }
}

/** A replica answered with an error reply (bad request, unavailable, …). */
export class RemoteError extends Error {
  static override name = 'RemoteError'
  override name = 'RemoteError'
  constructor (readonly peer: string, readonly code: string, message: string) {
    super(`peer ${peer} replied ${code}: ${message}`)
  }
}

/** The peer was stopped; no further operations are accepted. */
export class PeerStoppedError extends Error {
  static override name = 'PeerStoppedError'
  override name = 'PeerStoppedError'
  constructor () { super('peer is stopped') }
}
