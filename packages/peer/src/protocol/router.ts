/**
 * Answers the requests other peers send this one. Every request is checked before use
 * (the codec checks frames from the wire, but a Network implementation may hand over
 * objects directly); a bad one is counted in metrics.invalidFrames and answered with a
 * `bad-request` error. Nothing here throws: every failure becomes an error response.
 */
import {
  CODEC_LIMITS, CodecError, InvalidClockError, InvalidKeyError, InvalidValueError, LIMITS, MerkleRangeError,
  ValueTooLargeError, validateClock, validateContext, validateKey, validateValue
} from '@ringstore/core'
import type { DvvSet, Key, PeerId, Request, Response } from '@ringstore/core'
import { describeError } from './rpc.js'
import type { PeerContext } from '../components.js'
import { InvalidOptionsError, TooManySiblingsError } from '../errors.js'
import type { MintOutcome, PutCommand } from '../coordinator/put.js'
import { MAX_REPLICAS } from '../coordinator/put-core.js'
import { InvalidHintTargetError } from '../data/hint-store.js'

/** What the handler needs beyond the context: the local coordinator and membership's table. */
export interface RequestHandlerDeps {
  readonly ctx: PeerContext
  /** Mint and replicate locally (the `coordinate-put` path). */
  readonly mint: (command: PutCommand) => Promise<MintOutcome>
  readonly handlePull: () => Response
  /** False while the peer is not running: requests get an `unavailable` reply. */
  readonly isRunning: () => boolean
}

/** The reply to a `replica-put` once the version is durable here (see messages.ts). */
const ACK_CLOCK: Response = Object.freeze({ type: 'clock', clock: null })

/** A request that fails its checks. */
class BadRequestError extends Error {
  static override name = 'BadRequestError'
  override name = 'BadRequestError'
}

export type RequestHandler = (from: PeerId, request: Request) => Promise<Response>

export function createRequestHandler (deps: RequestHandlerDeps): RequestHandler {
  return async (from, request) => {
    if (!deps.isRunning()) return errorResponse('unavailable', 'peer is not running')
    try {
      return await dispatch(deps, request)
    } catch (error) {
      return failureResponse(deps.ctx, from, request, error)
    }
  }
}

async function dispatch (deps: RequestHandlerDeps, request: Request): Promise<Response> {
  const { replicas, hints } = deps.ctx
  if (typeof request !== 'object' || request === null) throw new BadRequestError('request must be an object')
  switch (request.type) {
    case 'replica-get':
      return { type: 'clock', clock: await replicas.get(validateKey(request.key)) }
    case 'replica-digest': {
      const digest = replicas.digest(validateKey(request.key))
      return { type: 'hashes', hashes: digest === null ? [] : [digest] }
    }
    case 'replica-get-many': {
      const keys = checkKeys(request.keys)
      const clocks = await replicas.getMany(keys)
      return { type: 'clocks', items: keys.map((key, i) => [key, clocks[i] ?? null] as const) }
    }
    case 'replica-put': {
      const key = validateKey(request.key)
      const clock = checkClock(request.clock)
      if (request.hintFor === undefined || request.hintFor === deps.ctx.id) await replicas.merge(key, clock)
      else await hints.add(checkPeerId(request.hintFor), key, clock)
      // The ack only: no sender reads the merged version, and sending it back would cost an
      // encode here and a decode there of the whole clock, values included, on every put.
      return ACK_CLOCK
    }
    case 'replica-put-many':
      await replicas.mergeMany(checkItems(request.items))
      return { type: 'ok' }
    case 'ae-nodes':
      return { type: 'hashes', hashes: replicas.tree(checkPartition(deps, request.partition)).nodes(request.level, request.indices) }
    case 'ae-buckets':
      return { type: 'entries', entries: replicas.tree(checkPartition(deps, request.partition)).bucketEntries(request.buckets) }
    case 'ae-roots':
      return { type: 'hashes', hashes: roots(deps, request.partitions) }
    case 'members-pull':
      return deps.handlePull()
    case 'coordinate-put':
      return coordinatePut(deps, request)
    case 'ping':
      return { type: 'ok' }
    default:
      throw new BadRequestError(`unknown request type ${JSON.stringify((request as { type?: unknown }).type)}`)
  }
}

async function coordinatePut (deps: RequestHandlerDeps, request: Extract<Request, { type: 'coordinate-put' }>): Promise<Response> {
  const { n, w, ts } = request
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_REPLICAS || !Number.isSafeInteger(w) || w < 1 || w > n) {
    throw new InvalidOptionsError(`bad n/w: ${String(n)}/${String(w)}`)
  }
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) throw new BadRequestError('ts must be a finite number ≥ 0')
  const value = request.value === null ? null : validateValue(request.value)
  validateContext(request.context)
  const silent = checkSilent(request.silent)
  const outcome = await deps.mint({ key: validateKey(request.key), value, context: request.context, n, w, ts, ...(silent === undefined ? {} : { silent }) })
  return outcome.kind === 'ok'
    ? { type: 'put-result', context: outcome.context, acks: outcome.acks }
    : { type: 'quorum-failed', acks: outcome.acks, required: outcome.required }
}

/** A forwarder's list of silent primaries: absent, or 1..MAX_REPLICAS peer ids. */
function checkSilent (silent: unknown): PeerId[] | undefined {
  if (silent === undefined) return undefined
  if (!Array.isArray(silent) || silent.length === 0 || silent.length > MAX_REPLICAS || !silent.every((p) => typeof p === 'string' && p !== '')) {
    throw new BadRequestError(`silent must be a list of 1 to ${MAX_REPLICAS} peer ids`)
  }
  return silent as PeerId[]
}

function checkKeys (keys: unknown): Key[] {
  if (!Array.isArray(keys) || keys.length > LIMITS.batchKeys) throw new BadRequestError(`keys must be an array of at most ${LIMITS.batchKeys}`)
  return keys.map((key) => validateKey(key))
}

function checkItems (items: unknown): Array<readonly [Key, DvvSet]> {
  if (!Array.isArray(items) || items.length > LIMITS.batchKeys) throw new BadRequestError(`items must be an array of at most ${LIMITS.batchKeys}`)
  return items.map((item) => {
    if (!Array.isArray(item) || item.length !== 2) throw new BadRequestError('an item must be [key, clock]')
    return [validateKey(item[0]), checkClock(item[1])] as const
  })
}

function checkClock (clock: unknown): DvvSet {
  validateClock(clock)
  return clock
}

function checkPeerId (peer: unknown): PeerId {
  if (typeof peer !== 'string' || peer.length === 0 || peer.length > LIMITS.idBytes || peer.includes('\u0000')) {
    throw new BadRequestError('hintFor must be a peer id')
  }
  return peer
}

function checkPartition (deps: RequestHandlerDeps, partition: unknown): number {
  const q = deps.ctx.config.q
  if (!Number.isSafeInteger(partition) || (partition as number) < 0 || (partition as number) >= q) {
    throw new BadRequestError(`partition must be an integer in 0..${q - 1}`)
  }
  return partition as number
}

/**
 * The Merkle root of each partition, in the order asked. A partition holding no key here
 * answers the empty tree's root (all zero for every shape, see core's merkle.ts). Asking
 * creates at most one empty tree per partition of the ring (checkPartition bounds it by
 * q), which allocates nothing until a key arrives: the asking side does the same.
 */
function roots (deps: RequestHandlerDeps, partitions: unknown): Uint8Array[] {
  if (!Array.isArray(partitions) || partitions.length > CODEC_LIMITS.treeItems) {
    throw new BadRequestError(`partitions must be an array of at most ${CODEC_LIMITS.treeItems}`)
  }
  return partitions.map((partition) => deps.ctx.replicas.tree(checkPartition(deps, partition)).root())
}

/** Validation failures are the sender's fault (bad-request, counted); anything else is ours. */
function failureResponse (ctx: PeerContext, from: PeerId, request: Request, error: unknown): Response {
  const type = typeof request === 'object' && request !== null ? String((request as { type?: unknown }).type) : typeof request
  if (error instanceof ValueTooLargeError) return errorResponse('too-large', error.message)
  // A valid request the data cannot take (the key has too many siblings): not malformed.
  if (error instanceof TooManySiblingsError) return errorResponse('bad-request', error.message)
  if (isBadInput(error)) {
    ctx.metrics.invalidFrames++
    ctx.log.debug('bad request', { from, type, error: describeError(error) })
    return errorResponse('bad-request', error instanceof Error ? error.message : String(error))
  }
  ctx.log.error('request failed', { from, type, error: describeError(error) })
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
