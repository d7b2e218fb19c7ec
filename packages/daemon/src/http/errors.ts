/**
 * Engine errors → HTTP replies. Matched on the stable error `name` (it survives bundling
 * and duplicate module copies), so a new engine error falls through to a logged 500.
 */
import type { InvalidKeyError, ValueTooLargeError } from '@ringstore/core'
import type { CorruptReplicaError, QuorumNotMetError, SiblingsTooLargeError, TooManySiblingsError } from '@ringstore/peer'
import { HttpError } from './respond.js'

/** The HttpError for a known engine error, or null for an unexpected one. */
export function toHttpError (error: unknown): HttpError | null {
  if (error instanceof HttpError) return error
  if (!(error instanceof Error)) return null
  switch (error.name) {
    // Before QuorumNotMetError: a subclass of it. 503: the replicas' good copies repair the
    // corrupt ones (read repair, anti-entropy), after which the same read succeeds.
    case 'CorruptReplicaError': {
      const e = error as CorruptReplicaError
      return new HttpError(503, 'corrupt', e.message, { acks: e.acks, required: e.required, corrupt: e.corrupt })
    }
    // A local read of a corrupt record (GET /replica/KEY): this replica's copy is unknown.
    case 'CorruptRecordError':
      return new HttpError(503, 'corrupt', error.message)
    case 'QuorumNotMetError': {
      const e = error as QuorumNotMetError
      return new HttpError(503, 'quorum_not_met', e.message, { acks: e.acks, required: e.required })
    }
    case 'InvalidKeyError':
      return new HttpError(400, 'bad_key', (error as InvalidKeyError).message)
    case 'ValueTooLargeError': {
      const e = error as ValueTooLargeError
      return new HttpError(413, 'value_too_large', e.message, { limit: e.limit })
    }
    case 'InvalidOptionsError':
      return new HttpError(400, 'bad_query', error.message)
    case 'TooManySiblingsError': {
      const e = error as TooManySiblingsError
      return new HttpError(409, 'too_many_siblings', e.message, { siblings: e.siblings, limit: e.limit })
    }
    case 'SiblingsTooLargeError': {
      // The key's write bound in bytes (core's LIMITS.siblingBytes): the body itself may be
      // small, what would be too large is the key with it. Read, merge, write with the context.
      const e = error as SiblingsTooLargeError
      return new HttpError(413, 'siblings_too_large', e.message, e.bytes === undefined ? { limit: e.limit } : { bytes: e.bytes, limit: e.limit })
    }
    case 'PeerStoppedError':
      return new HttpError(503, 'unavailable', 'the daemon is shutting down')
    case 'StorageFullError':
      return new HttpError(507, 'insufficient_storage', error.message)
    default:
      return null
  }
}
