/**
 * Small helpers shared by the cluster-path components (membership, failure detector,
 * anti-entropy, ownership transfer, tombstone GC): one typed request that feeds the
 * failure detector, and a bounded-concurrency loop.
 */
import { LIMITS } from '@ringstore/core'
import type { DvvSet, PeerId, Request, Response } from '@ringstore/core'
import type { PeerContext } from '../components.js'
import { PeerUnreachableError, RemoteError, RequestTimeoutError } from '../errors.js'

/** The response variant whose `type` is `T`. */
export type ResponseOf<T extends Response['type']> = Extract<Response, { readonly type: T }>

/**
 * Sends `request` to `peer` with the configured timeout and expects a reply of type
 * `expected`. A timeout or an unreachable peer is reported to the failure detector and
 * rethrown; any reply (even an error reply) proves the peer is alive. An error reply or a
 * reply of the wrong type throws RemoteError.
 */
export async function requestExpecting<T extends Response['type']> (
  ctx: PeerContext,
  peer: PeerId,
  request: Request,
  expected: T
): Promise<ResponseOf<T>> {
  let response: Response
  try {
    response = await ctx.network.request(peer, request, ctx.config.requestTimeoutMs)
  } catch (error) {
    if (isUnreachable(error)) ctx.detector.reportFailure(peer)
    throw error
  }
  ctx.detector.reportSuccess(peer)
  if (response.type === 'error') throw new RemoteError(peer, response.code, response.message)
  if (response.type !== expected) {
    throw new RemoteError(peer, 'bad-response', `expected '${expected}' to '${request.type}', got '${response.type}'`)
  }
  return response as ResponseOf<T>
}

/** True for the errors that mean "the peer did not answer" (as opposed to a bad answer). */
export function isUnreachable (error: unknown): boolean {
  return error instanceof PeerUnreachableError || error instanceof RequestTimeoutError
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in order of start. Errors
 * are the callee's business: `fn` must not reject (wrap it if it may).
 */
export async function forEachBounded<T> (items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/** A short description of an error for logs. */
export function describeError (error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/**
 * Splits `items` into consecutive batches of at most `maxItems` items and at most
 * `maxBytes` estimated bytes (an item larger than `maxBytes` travels alone).
 */
export function batchBySize<T> (items: readonly T[], maxItems: number, maxBytes: number, sizeOf: (item: T) => number): T[][] {
  const batches: T[][] = []
  let current: T[] = []
  let bytes = 0
  for (const item of items) {
    const size = sizeOf(item)
    if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(item)
    bytes += size
  }
  if (current.length > 0) batches.push(current)
  return batches
}

/** Rough wire size of a version (values dominate; 16 B per entry for ids and counters). */
export function clockBytes (clock: DvvSet): number {
  let bytes = 0
  for (const entry of clock.entries) {
    bytes += entry.actor.length + 16
    for (const sibling of entry.values) bytes += (sibling.value?.byteLength ?? 0) + 16
  }
  for (const sibling of clock.anonymous) bytes += (sibling.value?.byteLength ?? 0) + 16
  return bytes
}

/**
 * Byte budget of one batch of versions: half of LIMITS.frameBytes, leaving room for CBOR
 * framing and for the estimate's slack (`clockBytes` is approximate).
 */
export const BATCH_BYTES = LIMITS.frameBytes / 2
