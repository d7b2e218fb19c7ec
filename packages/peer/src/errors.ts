/**
 * Errors the engine raises to callers and adapters. Each has a stable `name` (survives
 * bundling); callers and tests match on it.
 */
import type { Operation } from './metrics.js'

/** Fewer than R (get) or W (put/delete) replicas answered in time. */
export class QuorumNotMetError extends Error {
  static override name = 'QuorumNotMetError'
  override name = 'QuorumNotMetError'
  /**
   * put/delete only: the dot this peer minted before the quorum failed. The write stands on
   * the replicas that took it and spreads later (hints, anti-entropy); it is not undone.
   */
  dot?: readonly [actor: string, counter: number]
  constructor (readonly op: Operation, readonly acks: number, readonly required: number, detail = '') {
    super(`quorum not met for ${op}: ${acks} of ${required} required replicas acknowledged${detail ? ` (${detail})` : ''}`)
  }
}

/**
 * A get that did not reach R because replicas held a corrupt copy of the key (a stored
 * record that failed its checksum): such a replica holds an unknown version, so it counts
 * neither as an answer nor as "no such key" (never a 404 built from it). A QuorumNotMetError
 * by type, so every place that counts quorum failures counts it; the hosts answer it with
 * its own code. The corrupt copies are repaired from the others (read repair, anti-entropy).
 */
export class CorruptReplicaError extends QuorumNotMetError {
  static override name = 'CorruptReplicaError'
  override name = 'CorruptReplicaError'
  constructor (acks: number, required: number, readonly corrupt: number) {
    super('get', acks, required, `${corrupt} replica${corrupt === 1 ? '' : 's'} hold${corrupt === 1 ? 's' : ''} a corrupt copy`)
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

/**
 * The peer did not answer within the request timeout. Built without a stack trace: it is
 * made in a timer callback, so its stack names the timer, never the caller, and capturing
 * one per timeout was 2-4% of a thousand-peer simulation's CPU (timeouts are common there).
 */
export class RequestTimeoutError extends Error {
  static override name = 'RequestTimeoutError'
  override name = 'RequestTimeoutError'
  constructor (readonly peer: string, readonly timeoutMs: number) {
    super(withoutStackTrace(`request to ${peer} timed out after ${timeoutMs} ms`))
    restoreStackTraces()
  }
}

/** Error.stackTraceLimit (V8's; other engines ignore it) while withoutStackTrace is in force. */
let savedStackTraceLimit: number | undefined

/** `message`, with stack capture off until restoreStackTraces (an argument to super(): nothing may run before it). */
function withoutStackTrace (message: string): string {
  savedStackTraceLimit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  return message
}

function restoreStackTraces (): void {
  if (savedStackTraceLimit !== undefined) Error.stackTraceLimit = savedStackTraceLimit
  savedStackTraceLimit = undefined
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

/** Per-request options out of range (n, r or w not integers with 1 ≤ r, w ≤ n). */
export class InvalidOptionsError extends Error {
  static override name = 'InvalidOptionsError'
  override name = 'InvalidOptionsError'
}

/** A put would leave more than LIMITS.siblings concurrent versions: refused, read and merge first. */
export class TooManySiblingsError extends Error {
  static override name = 'TooManySiblingsError'
  override name = 'TooManySiblingsError'
  constructor (readonly siblings: number, readonly limit: number) {
    super(`write refused: it would leave ${siblings} siblings (limit ${limit}); read the key, merge its siblings and write with the context`)
  }

  /**
   * The error a remote coordinator's refusal stands for: the wire carries it as a
   * `bad-request` with this error's message (there is no code of its own), and a forwarded
   * put must fail as one coordinated here does (HTTP 409 `too_many_siblings`, not a remote
   * error). undefined when `message` is not such a refusal.
   */
  static fromMessage (message: string): TooManySiblingsError | undefined {
    const match = /^write refused: it would leave (\d+) siblings \(limit (\d+)\)/.exec(message)
    return match === null ? undefined : new TooManySiblingsError(Number(match[1]), Number(match[2]))
  }
}

/**
 * A put would leave more than LIMITS.siblingBytes bytes of sibling values (the write bound
 * in bytes, HTTP 413 `siblings_too_large`): refused, nothing written. Read the key, merge
 * its siblings and write with the read's context: that write collapses them.
 * `bytes` is undefined when a remote coordinator refused the put (its reply names no size).
 */
export class SiblingsTooLargeError extends Error {
  static override name = 'SiblingsTooLargeError'
  override name = 'SiblingsTooLargeError'
  constructor (readonly bytes: number | undefined, readonly limit: number, detail?: string) {
    super(detail ?? `write refused: it would leave ${bytes ?? 'too many'} bytes of siblings (limit ${limit}); read the key, merge its siblings and write with the context`)
  }
}

/**
 * A reply that would not fit one frame (LIMITS.frameBytes): versions too large for a
 * `replica-get` or `replica-get-many` answer. Answered 'too-large' rather than attempted
 * (a reply that fails to encode would reach the asker as 'internal'); the asker asks for
 * fewer keys, and reads a single version that large part by part (protocol/replica-get.ts).
 */
export class ReplyTooLargeError extends Error {
  static override name = 'ReplyTooLargeError'
  override name = 'ReplyTooLargeError'
}

/**
 * A client asked for a key it has no right to (core's key-rights.ts: capability, owner and
 * public keys; every other key is for members). Thrown by the client-surface protocols
 * (answered `forbidden`) and, before anything is sent, by a client's own get/put/delete.
 */
export class KeyRightsError extends Error {
  static override name = 'KeyRightsError'
  override name = 'KeyRightsError'
  readonly key: string

  constructor (key: string, message: string) {
    super(message)
    this.key = key
  }
}

/** A hint target the hint store cannot hold (empty, containing NUL, or this peer itself). */
export class InvalidHintTargetError extends Error {
  static override name = 'InvalidHintTargetError'
  override name = 'InvalidHintTargetError'
}

/** Which hint quota a refused hint would have exceeded (config.ts hintQuotaBytes / hintQuotaPerTargetBytes). */
export type HintQuota = 'total' | 'per-target'

/**
 * A hint refused because storing it would exceed a quota of the hint store
 * (data/hint-store.ts): the bytes of all hints, or of one target's. Nothing already stored
 * is dropped to make room: the write is answered as not kept, so the coordinator counts no
 * ack for it.
 */
export class HintQuotaError extends Error {
  static override name = 'HintQuotaError'
  override name = 'HintQuotaError'
  constructor (readonly quota: HintQuota, readonly target: string, readonly usedBytes: number, readonly addBytes: number, readonly limitBytes: number) {
    super(`hint for ${target} refused: ${quota} hint quota exceeded (${usedBytes} bytes held${quota === 'per-target' ? ' for it' : ''} + ${addBytes} > ${limitBytes})`)
  }
}

/**
 * The store has no space left for a write (a full disk, or the store's size limit). Every
 * Storage adapter throws this one class for it, so that the engine and the hosts answer
 * "insufficient storage" rather than a quorum failure or a crash; reads go on working.
 */
export class StorageFullError extends Error {
  static override name = 'StorageFullError'
  override name = 'StorageFullError'
}

/** A removal of a member that does not hold: not signed by the cluster's authority, or for another cluster. */
export class InvalidRemovalError extends Error {
  static override name = 'InvalidRemovalError'
  override name = 'InvalidRemovalError'
}

/** True for the errors that mean "the peer did not answer" (as opposed to a bad answer). */
export function isUnreachable (error: unknown): boolean {
  return error instanceof PeerUnreachableError || error instanceof RequestTimeoutError
}

/** A short description of an error for logs. */
export function describeError (error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/**
 * A call on a Storage handle that was closed (the Storage contract: after close, every
 * call rejects). Every adapter throws this one class, so callers match one name.
 */
export class StorageClosedError extends Error {
  static override name = 'StorageClosedError'
  override name = 'StorageClosedError'
  constructor () { super('storage is closed') }
}

/**
 * A Storage call the adapter refuses: an unknown namespace, a key that is not a string, a
 * value that is neither bytes nor null (or a limit of the adapter's own, such as LMDB's key
 * size). A write with such an op changes nothing.
 */
export class InvalidStorageOpError extends Error {
  static override name = 'InvalidStorageOpError'
  override name = 'InvalidStorageOpError'
}
