/**
 * Requests, responses and the frames that carry them on a long-lived per-peer stream.
 *
 * Wire layout (CBOR arrays; the first element is the type tag, the index in the tables
 * below — append new types at the end, never reorder):
 *   Request  = [0, key] | [0, key, after] | [1, [key…]] | [2, key, clock, hintFor | null] | [3, [[key, clock]…]]
 *            | [4, partition, level, [index…]] | [5, partition, [bucket…]] | [6]
 *            | [7, key, value | null, context, n, w, ts] | [8] | [9, [partition…]] | … | [18, digest] | [19, hash]
 *            | [20, digest] | [21, [recordDigest…]]
 *   Response = [0] | [1, clock | null] | [1, clock, next] | [2, [[key, clock | null]…]] | [3, [hash…]]
 *            | [4, [[key, digest]…]] | [5, [signedRecord…]] | [6, context, acks]
 *            | [7, acks, required] | [8, code, message] | [9, checkpoint bytes]
 *   Frame    = [0, id, Request] | [1, id, Response]
 * `after` (a replica-get of one part of a version too large for one frame) and `next` (the
 * cursor of the part after it) are trailing fields, present only in that exchange: every
 * other request and reply stays byte-identical to what older peers send and read.
 */
import { clockFromWire, clockToWire, contextFromWire, contextToWire } from './codec-clock.js'
import { signedFromWire, signedToWire } from './codec-record.js'
import type { FromWire, Path } from './codec-wire.js'
import {
  decodeChecked, encodeChecked, nameOf, readBytes, readInt, readKey, readList, readNullable, readPeerId, readText,
  readTime, readValue, tagOf
} from './codec-wire.js'
import { signedRemovalFromWire, signedRemovalToWire } from './codec-removal.js'
import { CHECKPOINT_HASH_BYTES, MAX_CHECKPOINT_BYTES } from './codec-checkpoint.js'
import { BUCKET_DIGEST_BYTES, TABLE_DIGEST_BYTES } from './membership-digest.js'
import { MERKLE_MAX_BUCKETS } from './merkle.js'
import type { ErrorCode, Frame, Request, Response } from './messages.js'
import type { DvvSet, Key } from './types.js'
import { LIMITS } from './types.js'

export const REQUEST_TYPES: readonly Request['type'][] = [
  'replica-get', 'replica-get-many', 'replica-put', 'replica-put-many', 'ae-nodes', 'ae-buckets', 'members-pull', 'coordinate-put', 'ping',
  'ae-roots', 'replica-digest',
  // The client surface: appended, so every earlier tag keeps its number.
  'members-view', 'client-get', 'client-digest', 'client-put', 'client-put-many',
  // Live updates: appended likewise.
  'client-watch', 'watch-event',
  // Membership gossip rounds: appended likewise.
  'members-digest',
  // Ring checkpoints (issue 13): appended likewise.
  'ring-checkpoint',
  // Gossip rounds that move only the records that differ (issue 13): appended likewise.
  'members-hashes', 'members-fetch'
]
export const RESPONSE_TYPES: readonly Response['type'][] = [
  'ok', 'clock', 'clocks', 'hashes', 'entries', 'members', 'put-result', 'quorum-failed', 'error',
  // Ring checkpoints (issue 13): appended.
  'checkpoint'
]
// Encoded by index: a new code is only ever appended, so older codes keep their numbers.
const ERROR_CODES: readonly ErrorCode[] = ['bad-request', 'too-large', 'unavailable', 'not-owner', 'internal', 'forbidden', 'over-quota', 'corrupt']
const FRAME_KINDS: readonly Frame['kind'][] = ['request', 'response']

/** Partitions per ring: the peer config caps Q at 2^20. */
export const MAX_PARTITIONS = 2 ** 20
/** Deepest Merkle level (0 = root). */
export const MAX_TREE_LEVEL = 8
/** Node/bucket index within a level: no level of a tree is wider than its leaf level. */
export const MAX_TREE_INDEX = MERKLE_MAX_BUCKETS - 1
/** Hashes, indices, buckets, partitions or bucket entries in one anti-entropy message. */
export const MAX_TREE_ITEMS = 65_536
/** Bytes of one Merkle hash or clock digest (sha512 would be 64). */
export const MAX_HASH_BYTES = 64
/** N (and W, acks) per request: each replica may coordinate, so N beyond the clock's entry bound makes no sense. */
export const MAX_REPLICAS = LIMITS.clockEntries
/** UTF-8 bytes of an error reply's message. */
export const MAX_ERROR_MESSAGE_BYTES = 1024

// ---- requests ----

export function requestToWire (r: Request): unknown {
  const tag = tagOf(REQUEST_TYPES, r.type)
  switch (r.type) {
    case 'replica-get':
      return r.after === undefined ? [tag, r.key] : [tag, r.key, r.after]
    case 'client-get':
    case 'client-digest':
      return [tag, r.key]
    case 'replica-get-many':
      return [tag, [...r.keys]]
    case 'client-watch':
      // The flag is a trailing element, present only when set: a request without it is
      // byte-identical to what older watchers send.
      return r.digests === true ? [tag, [...r.keys], 1] : [tag, [...r.keys]]
    case 'watch-event': return [tag, r.key, clockToWire(r.clock)]
    case 'replica-put':
    case 'client-put':
      return [tag, r.key, clockToWire(r.clock), r.hintFor ?? null]
    case 'replica-put-many':
    case 'client-put-many':
      return [tag, r.items.map(([key, clock]) => [key, clockToWire(clock)])]
    case 'ae-nodes': return [tag, r.partition, r.level, [...r.indices]]
    case 'ae-buckets': return [tag, r.partition, [...r.buckets]]
    case 'members-pull':
    case 'members-view':
      return [tag]
    case 'coordinate-put': {
      const wire = [tag, r.key, r.value, contextToWire(r.context), r.n, r.w, r.ts]
      // `silent` is a trailing field only when non-empty: one canonical form, and a
      // forward without it stays byte-identical to what older peers send.
      return r.silent === undefined || r.silent.length === 0 ? wire : [...wire, [...r.silent]]
    }
    case 'ping': return [tag]
    case 'ae-roots': return [tag, [...r.partitions]]
    case 'replica-digest': return [tag, r.key]
    case 'members-digest': return [tag, r.digest]
    case 'ring-checkpoint': return [tag, r.hash]
    case 'members-hashes': return [tag, r.digest]
    case 'members-fetch': return [tag, [...r.hashes]]
    default: return [tag]
  }
}

const keyClockFromWire: FromWire<readonly [Key, DvvSet]> = (w, path) => {
  const [key, clock] = readList(w, path, 2, 2, (x) => x)
  return [readKey(key, `${path}.key`), clockFromWire(clock, `${path}.clock`)]
}

const readRecordDigest = (x: unknown, p: Path): Uint8Array => readBytes(x, p, BUCKET_DIGEST_BYTES, BUCKET_DIGEST_BYTES)
const readTreeIndex = (x: unknown, p: Path): number => readInt(x, p, 0, MAX_TREE_INDEX)
const readPartition = (x: unknown, p: Path): number => readInt(x, p, 0, MAX_PARTITIONS - 1)

export const requestFromWire: FromWire<Request> = (w, path) => {
  const f = readList(w, path, 1, 8, (x) => x)
  const type = nameOf(REQUEST_TYPES, f[0], `${path}.type`)
  const fields = (n: number): void => { expectLength(f, path, n + 1) }
  switch (type) {
    case 'replica-get': {
      if (f.length !== 3) fields(1)
      const key = readKey(f[1], `${path}.key`)
      // An actor id, or '' for the first part.
      return f.length === 3 ? { type, key, after: readText(f[2], `${path}.after`, 0, LIMITS.idBytes) } : { type, key }
    }
    case 'client-get':
    case 'client-digest':
      fields(1)
      return { type, key: readKey(f[1], `${path}.key`) }
    case 'replica-get-many':
      fields(1)
      return { type, keys: readList(f[1], `${path}.keys`, 0, LIMITS.batchKeys, readKey) }
    case 'client-watch': {
      if (f.length !== 3) fields(1)
      const keys = readList(f[1], `${path}.keys`, 0, LIMITS.batchKeys, readKey)
      if (f.length === 2) return { type, keys }
      readInt(f[2], `${path}.digests`, 1, 1)
      return { type, keys, digests: true }
    }
    case 'watch-event':
      fields(2)
      return { type, key: readKey(f[1], `${path}.key`), clock: clockFromWire(f[2], `${path}.clock`) }
    case 'replica-put':
    case 'client-put': {
      fields(3)
      const key = readKey(f[1], `${path}.key`)
      const clock = clockFromWire(f[2], `${path}.clock`)
      const hintFor = readNullable(f[3], `${path}.hintFor`, readPeerId)
      return hintFor === null ? { type, key, clock } : { type, key, clock, hintFor }
    }
    case 'replica-put-many':
    case 'client-put-many':
      fields(1)
      return { type, items: readList(f[1], `${path}.items`, 0, LIMITS.batchKeys, keyClockFromWire) }
    case 'ae-nodes':
      fields(3)
      return {
        type,
        partition: readPartition(f[1], `${path}.partition`),
        level: readInt(f[2], `${path}.level`, 0, MAX_TREE_LEVEL),
        indices: readList(f[3], `${path}.indices`, 0, MAX_TREE_ITEMS, readTreeIndex)
      }
    case 'ae-buckets':
      fields(2)
      return {
        type,
        partition: readPartition(f[1], `${path}.partition`),
        buckets: readList(f[2], `${path}.buckets`, 0, MAX_TREE_ITEMS, readTreeIndex)
      }
    case 'members-pull':
    case 'members-view':
      fields(0)
      return { type }
    case 'coordinate-put': {
      if (f.length !== 8) fields(6)
      const n = readInt(f[4], `${path}.n`, 1, MAX_REPLICAS)
      const put = {
        type,
        key: readKey(f[1], `${path}.key`),
        value: readNullable(f[2], `${path}.value`, readValue),
        context: contextFromWire(f[3], `${path}.context`),
        n,
        w: readInt(f[5], `${path}.w`, 1, n),
        ts: readTime(f[6], `${path}.ts`)
      }
      return f.length === 8 ? { ...put, silent: readList(f[7], `${path}.silent`, 1, MAX_REPLICAS, readPeerId) } : put
    }
    case 'ping':
      fields(0)
      return { type }
    case 'ae-roots':
      fields(1)
      // Bounded like ae-nodes' indices: the reply carries one hash per partition asked.
      return { type, partitions: readList(f[1], `${path}.partitions`, 0, MAX_TREE_ITEMS, readPartition) }
    case 'replica-digest':
      fields(1)
      return { type, key: readKey(f[1], `${path}.key`) }
    case 'members-digest':
    case 'members-hashes':
      fields(1)
      return { type, digest: readBytes(f[1], `${path}.digest`, TABLE_DIGEST_BYTES, TABLE_DIGEST_BYTES) }
    case 'members-fetch':
      fields(1)
      // At most a table's worth: the answer is a `members` reply, bounded alike.
      return { type, hashes: readList(f[1], `${path}.hashes`, 1, LIMITS.members, readRecordDigest) }
    case 'ring-checkpoint':
      fields(1)
      return { type, hash: readBytes(f[1], `${path}.hash`, CHECKPOINT_HASH_BYTES, CHECKPOINT_HASH_BYTES) }
  }
}

/** Checks the element count of a message once its type tag says how many fields follow. */
function expectLength (f: readonly unknown[], path: Path, length: number): void {
  readList(f, path, length, length, (x) => x)
}

// ---- responses ----

export function responseToWire (r: Response): unknown {
  const tag = tagOf(RESPONSE_TYPES, r.type)
  switch (r.type) {
    case 'ok': return [tag]
    case 'clock': {
      const clock = r.clock === null ? null : clockToWire(r.clock)
      return r.next === undefined ? [tag, clock] : [tag, clock, r.next]
    }
    case 'clocks': return [tag, r.items.map(([key, clock]) => [key, clock === null ? null : clockToWire(clock)])]
    case 'hashes': return [tag, [...r.hashes]]
    case 'entries': return [tag, r.entries.map(([key, digest]) => [key, digest])]
    case 'members': {
      const wire = [tag, r.records.map(signedToWire)]
      // A trailing element only when there are removals: one canonical form, and an answer
      // without any stays byte-identical to what older peers send.
      return r.removals === undefined || r.removals.length === 0 ? wire : [...wire, r.removals.map(signedRemovalToWire)]
    }
    case 'put-result': return [tag, contextToWire(r.context), r.acks]
    case 'quorum-failed': return [tag, r.acks, r.required]
    case 'error': return [tag, tagOf(ERROR_CODES, r.code), r.message]
    case 'checkpoint': return [tag, r.bytes]
    default: return [tag]
  }
}

const readHash = (x: unknown, p: Path): Uint8Array => readBytes(x, p, 1, MAX_HASH_BYTES)

export const responseFromWire: FromWire<Response> = (w, path) => {
  const f = readList(w, path, 1, 3, (x) => x)
  const type = nameOf(RESPONSE_TYPES, f[0], `${path}.type`)
  const fields = (n: number): void => { expectLength(f, path, n + 1) }
  switch (type) {
    case 'ok':
      fields(0)
      return { type }
    case 'clock': {
      if (f.length !== 3) fields(1)
      const clock = readNullable(f[1], `${path}.clock`, clockFromWire)
      return f.length === 3 ? { type, clock, next: readText(f[2], `${path}.next`, 1, LIMITS.idBytes) } : { type, clock }
    }
    case 'clocks':
      fields(1)
      return {
        type,
        items: readList(f[1], `${path}.items`, 0, LIMITS.batchKeys, (x, p) => {
          const [key, clock] = readList(x, p, 2, 2, (y) => y)
          return [readKey(key, `${p}.key`), readNullable(clock, `${p}.clock`, clockFromWire)] as const
        })
      }
    case 'hashes':
      fields(1)
      return { type, hashes: readList(f[1], `${path}.hashes`, 0, MAX_TREE_ITEMS, readHash) }
    case 'entries':
      fields(1)
      return {
        type,
        entries: readList(f[1], `${path}.entries`, 0, MAX_TREE_ITEMS, (x, p) => {
          const [key, digest] = readList(x, p, 2, 2, (y) => y)
          return [readKey(key, `${p}.key`), readHash(digest, `${p}.digest`)] as const
        })
      }
    case 'members': {
      if (f.length !== 3) fields(1)
      const records = readList(f[1], `${path}.records`, 0, LIMITS.members, signedFromWire)
      return f.length === 3 ? { type, records, removals: readList(f[2], `${path}.removals`, 1, LIMITS.members, signedRemovalFromWire) } : { type, records }
    }
    case 'put-result':
      fields(2)
      return { type, context: contextFromWire(f[1], `${path}.context`), acks: readInt(f[2], `${path}.acks`, 0, MAX_REPLICAS) }
    case 'quorum-failed':
      fields(2)
      return { type, acks: readInt(f[1], `${path}.acks`, 0, MAX_REPLICAS), required: readInt(f[2], `${path}.required`, 1, MAX_REPLICAS) }
    case 'error':
      fields(2)
      return {
        type,
        code: nameOf(ERROR_CODES, f[1], `${path}.code`),
        message: readText(f[2], `${path}.message`, 0, MAX_ERROR_MESSAGE_BYTES)
      }
    case 'checkpoint':
      fields(1)
      // Checked as a checkpoint by the asker (decodeCheckpoint, then its hash): here only bounded.
      return { type, bytes: readBytes(f[1], `${path}.bytes`, 1, MAX_CHECKPOINT_BYTES) }
  }
}

// ---- frames ----

function frameToWire (frame: Frame): unknown {
  const kind = tagOf(FRAME_KINDS, frame.kind)
  if (frame.kind === 'request') return [kind, frame.id, requestToWire(frame.request)]
  if (frame.kind === 'response') return [kind, frame.id, responseToWire(frame.response)]
  return [kind]
}

const frameFromWire: FromWire<Frame> = (w, path) => {
  const [kindTag, idWire, body] = readList(w, path, 3, 3, (x) => x)
  const kind = nameOf(FRAME_KINDS, kindTag, `${path}.kind`)
  const id = readInt(idWire, `${path}.id`, 0)
  return kind === 'request'
    ? { kind, id, request: requestFromWire(body, `${path}.request`) }
    : { kind, id, response: responseFromWire(body, `${path}.response`) }
}

export function encodeRequest (request: Request): Uint8Array {
  return encodeChecked(request, 'request', LIMITS.frameBytes, requestToWire, requestFromWire)
}

export function decodeRequest (bytes: Uint8Array): Request {
  return decodeChecked(bytes, 'request', LIMITS.frameBytes, requestFromWire)
}

export function encodeResponse (response: Response): Uint8Array {
  return encodeChecked(response, 'response', LIMITS.frameBytes, responseToWire, responseFromWire)
}

export function decodeResponse (bytes: Uint8Array): Response {
  return decodeChecked(bytes, 'response', LIMITS.frameBytes, responseFromWire)
}

/** One frame of a per-peer stream; refuses (CodecError) a frame above LIMITS.frameBytes. */
export function encodeFrame (frame: Frame): Uint8Array {
  return encodeChecked(frame, 'frame', LIMITS.frameBytes, frameToWire, frameFromWire)
}

/** Refuses input above LIMITS.frameBytes before parsing; throws only CodecError. */
export function decodeFrame (bytes: Uint8Array): Frame {
  return decodeChecked(bytes, 'frame', LIMITS.frameBytes, frameFromWire)
}
