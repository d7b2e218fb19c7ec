/**
 * Answers the requests other peers send this one: a routing table from request type to
 * protocol (one file each in this folder), and the one place that enforces who may call
 * what. Every request is checked before use (the codec checks frames from the wire, but a
 * Network implementation may hand over objects directly); a bad one is counted in
 * metrics.invalidFrames and answered `bad-request`; a caller whose role the protocol does
 * not admit is answered `forbidden` before any protocol code runs. Nothing here throws:
 * every failure becomes an error reply.
 */
import {
  CodecError, CorruptRecordError, InvalidClockError, InvalidKeyError, InvalidValueError, MerkleRangeError, ValueTooLargeError
} from '@ringstore/core'
import type { PeerId, Request, Response } from '@ringstore/core'
import type { HintStore, ReplicaStore } from '../components.js'
import {
  HintQuotaError, InvalidHintTargetError, InvalidOptionsError, KeyRightsError, ReplyTooLargeError, SiblingsTooLargeError, StorageClosedError, StorageFullError,
  TooManySiblingsError, describeError
} from '../errors.js'
import type { Clock, Logger } from '../interfaces.js'
import { WatchLimitError } from '../cluster/watch-registry.js'
import type { WatchRegistry } from '../cluster/watch-registry.js'
import type { PeerMetrics } from '../metrics.js'
import { aeBuckets } from './ae-buckets.js'
import { aeNodes } from './ae-nodes.js'
import { aeRoots } from './ae-roots.js'
import type { MemberRoles } from './checks.js'
import { clientDigest } from './client-digest.js'
import { clientGet } from './client-get.js'
import { clientPutMany } from './client-put-many.js'
import { clientPut } from './client-put.js'
import { coordinatePut } from './coordinate-put.js'
import type { Minter } from './coordinate-put.js'
import { membersDigest } from './members-digest.js'
import type { DigestedTable } from './members-digest.js'
import { membersFetch } from './members-fetch.js'
import type { FetchableTable } from './members-fetch.js'
import { membersHashes } from './members-hashes.js'
import type { HashedTable } from './members-hashes.js'
import { membersPull } from './members-pull.js'
import { membersView } from './members-view.js'
import { ping } from './ping.js'
import { ringCheckpoint } from './ring-checkpoint.js'
import type { CheckpointHolder } from './ring-checkpoint.js'
import { BadRequestError, mayCall } from './protocol.js'
import type { CallerRole, Protocol, RequestType } from './protocol.js'
import { replicaDigest } from './replica-digest.js'
import { replicaGetMany } from './replica-get-many.js'
import { replicaGet } from './replica-get.js'
import { replicaPutMany } from './replica-put-many.js'
import { replicaPut } from './replica-put.js'
import { clientWatch } from './client-watch.js'
import { watchEvent } from './watch-event.js'
import type { WatchSink } from './watch-event.js'

/** Everything a served protocol may use; each protocol declares the part it touches. */
export interface ProtocolServices {
  readonly id: PeerId
  /** Partitions of the ring (checks partition numbers). */
  readonly q: number
  readonly replicas: ReplicaStore
  readonly hints: HintStore
  readonly membership: DigestedTable & HashedTable & FetchableTable & MemberRoles & CheckpointHolder
  readonly coordinator: Minter
  /** Live updates: who watches what here (member side), and where pushed versions go (watcher side). */
  readonly watchers: Pick<WatchRegistry, 'renew'>
  readonly watchSink: WatchSink
  readonly clock: Pick<Clock, 'now'>
}

/** A protocol as the router holds it (its request type checked by the table's key). */
type AnyProtocol = Protocol<RequestType, ProtocolServices>

/** The routing table: every request type this peer answers, and by which protocol. */
export const PROTOCOLS: ReadonlyMap<RequestType, AnyProtocol> = new Map<RequestType, AnyProtocol>(([
  replicaGet, replicaDigest, replicaGetMany, replicaPut, replicaPutMany,
  aeRoots, aeNodes, aeBuckets, membersPull, coordinatePut, ping,
  membersView, clientGet, clientDigest, clientPut, clientPutMany,
  clientWatch, watchEvent, membersDigest, ringCheckpoint, membersHashes, membersFetch
] as readonly AnyProtocol[]).map((protocol) => [protocol.type, protocol]))

export interface RouterDeps {
  readonly services: ProtocolServices
  /** What the caller is to this peer (member, client, outsider): checked against each protocol's `callers`. */
  readonly roleOf: (peer: PeerId) => CallerRole
  /** False while the peer is not serving: requests get an `unavailable` reply. */
  readonly isServing: () => boolean
  readonly log: Logger
  readonly metrics: Pick<PeerMetrics, 'invalidFrames' | 'forbiddenRequests'>
  /** The routing table; PROTOCOLS unless a test swaps it. */
  readonly protocols?: ReadonlyMap<RequestType, AnyProtocol>
}

export type RequestHandler = (from: PeerId, request: Request) => Promise<Response>

export function createRouter (deps: RouterDeps): RequestHandler {
  const table = deps.protocols ?? PROTOCOLS
  return async (from, request) => {
    if (!deps.isServing()) return errorResponse('unavailable', 'peer is not running')
    try {
      if (typeof request !== 'object' || request === null) throw new BadRequestError('request must be an object')
      const protocol = table.get(request.type)
      if (protocol === undefined) throw new BadRequestError(`unknown request type ${JSON.stringify((request as { type?: unknown }).type)}`)
      const role = deps.roleOf(from)
      if (!mayCall(protocol.callers, role)) {
        deps.metrics.forbiddenRequests++
        deps.log.debug('request refused: caller may not call it', { from, type: request.type, role, callers: protocol.callers })
        return errorResponse('forbidden', `${request.type} is open to ${protocol.callers === 'any' ? 'anyone' : `${protocol.callers}s`}; the caller is a ${role}`)
      }
      return await protocol.serve(deps.services, request, from)
    } catch (error) {
      return failureResponse(deps, from, request, error)
    }
  }
}

/** Validation failures are the sender's fault (bad-request, counted); anything else is ours. */
function failureResponse (deps: RouterDeps, from: PeerId, request: Request, error: unknown): Response {
  const type = typeof request === 'object' && request !== null ? String((request as { type?: unknown }).type) : typeof request
  if (error instanceof ValueTooLargeError || error instanceof ReplyTooLargeError) return errorResponse('too-large', error.message)
  if (error instanceof KeyRightsError) {
    deps.metrics.forbiddenRequests++
    deps.log.debug('request refused: no right to the key', { from, type, key: error.key.slice(0, 80) })
    return errorResponse('forbidden', error.message)
  }
  // Our stored copy of the key is corrupt: we hold an unknown version, not "none"; the
  // asker counts us as failed and repairs us (coordinator/get.ts).
  if (error instanceof CorruptRecordError) return errorResponse('corrupt', error.message)
  // This replica cannot take writes now; the sender counts it as refused and goes on.
  if (error instanceof StorageFullError) return errorResponse('unavailable', error.message)
  // The peer is stopping and its store closed under a request in flight: not a failure of
  // ours to log (a daemon SIGTERMed during writes logged one error per request).
  if (error instanceof StorageClosedError) return errorResponse('unavailable', 'peer is stopping')
  // A hint over quota was not kept: the sender counts this fallback as not acknowledged
  // (coordinator/put.ts). Counted in metrics.hintsRefused by the store; debug only, since
  // a flood of them is exactly what the quota is for.
  if (error instanceof HintQuotaError) {
    deps.log.debug('hint refused over quota', { from, type, error: error.message })
    return errorResponse('over-quota', error.message)
  }
  // A watch past a bound (keys per watcher, watchers at this member): named, not malformed.
  if (error instanceof WatchLimitError) return errorResponse('over-quota', error.message)
  // A valid request the data cannot take (the key has too many siblings): not malformed.
  if (error instanceof TooManySiblingsError) return errorResponse('bad-request', error.message)
  // The key's values would pass the write bound in bytes: 'too-large', a code every
  // version knows; a forwarder turns it back into SiblingsTooLargeError (coordinate-put.ts).
  if (error instanceof SiblingsTooLargeError) return errorResponse('too-large', error.message)
  if (isBadInput(error)) {
    deps.metrics.invalidFrames++
    deps.log.debug('bad request', { from, type, error: describeError(error) })
    return errorResponse('bad-request', error instanceof Error ? error.message : String(error))
  }
  deps.log.error('request failed', { from, type, error: describeError(error) })
  return errorResponse('internal', error instanceof Error ? `${error.name}: ${error.message}` : String(error))
}

function isBadInput (error: unknown): boolean {
  return error instanceof BadRequestError || error instanceof InvalidKeyError || error instanceof InvalidValueError ||
    error instanceof InvalidClockError || error instanceof CodecError || error instanceof MerkleRangeError ||
    error instanceof InvalidOptionsError || error instanceof InvalidHintTargetError
}

function errorResponse (code: Extract<Response, { type: 'error' }>['code'], message: string): Response {
  return { type: 'error', code, message }
}
