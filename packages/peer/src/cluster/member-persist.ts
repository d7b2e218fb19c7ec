/**
 * Where membership keeps its state in the `meta` namespace, so that a restarted peer knows
 * its own incarnation (its next record must beat every record it ever signed) and the
 * whole ring before any other peer answers (it must route correctly at once).
 *
 * Layout:
 *   'member-record'     → encodeRecord(own record)       (written before it is announced)
 *   'member/<peer id>'  → encodeAnnouncement({ signed })  (one key per known member)
 *   'dropped/<peer id>' → when a ring checkpoint dropped that member's record (8 bytes,
 *                         big-endian ms): it stays a member to roleOf for a while after
 * One key per member keeps a change cheap: a join rewrites one small value, not the table.
 */
import { CodecError, decodeAnnouncement, decodeRecord, encodeAnnouncement, encodeRecord, internSignedRecord, validateRecord } from '@ringstore/core'
import type { MemberRecord, SignedRecord } from '@ringstore/core'
import type { Storage, StorageOp } from '../interfaces.js'

export const OWN_RECORD_KEY = 'member-record'
const MEMBER_PREFIX = 'member/'
/** '0' is the character after '/', so [MEMBER_PREFIX, MEMBER_END) is exactly the prefix. */
const MEMBER_END = 'member0'

export function ownRecordOp (record: MemberRecord): StorageOp {
  return { ns: 'meta', key: OWN_RECORD_KEY, value: encodeRecord(record) }
}

export function memberOp (signed: SignedRecord): StorageOp {
  // Encoded once per record object: records are shared by every holder (core member-intern.ts).
  let value = encodedMembers.get(signed)
  if (value === undefined) {
    value = encodeAnnouncement({ signed })
    encodedMembers.set(signed, value)
  }
  return { ns: 'meta', key: MEMBER_PREFIX + signed.record.id, value }
}

/** memberOp's bytes per signed record (storage copies what it is given: callers never change them). */
const encodedMembers = new WeakMap<SignedRecord, Uint8Array>()

/** Deletes a member's record (dropped at a ring checkpoint: membership-checkpoints.ts). */
export function forgetOp (id: string): StorageOp {
  return { ns: 'meta', key: MEMBER_PREFIX + id, value: null }
}

const DROPPED_PREFIX = 'dropped/'
const DROPPED_END = 'dropped0'

/** Records when a checkpoint dropped member `id` (`at`), or, with null, forgets it. */
export function droppedOp (id: string, at: number | null): StorageOp {
  if (at === null) return { ns: 'meta', key: DROPPED_PREFIX + id, value: null }
  const value = new Uint8Array(8)
  new DataView(value.buffer).setFloat64(0, at)
  return { ns: 'meta', key: DROPPED_PREFIX + id, value }
}

/** The persisted dropped members and when they were dropped (unreadable entries skipped). */
export async function loadDropped (storage: Storage): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for await (const [key, bytes] of storage.scan('meta', { gte: DROPPED_PREFIX, lt: DROPPED_END })) {
    if (bytes.length !== 8) continue
    out.set(key.slice(DROPPED_PREFIX.length), new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0))
  }
  return out
}

/** The persisted own record, or undefined (first start, or an unreadable value: start afresh). */
export async function loadOwnRecord (storage: Storage, onCorrupt: (error: unknown) => void): Promise<MemberRecord | undefined> {
  const bytes = await storage.get('meta', OWN_RECORD_KEY)
  if (bytes === undefined) return undefined
  try {
    return validateRecord(decodeRecord(bytes))
  } catch (error) {
    onCorrupt(error)
    return undefined
  }
}

/**
 * Every persisted member record that decodes, is valid and is stored under its own id.
 * A corrupt entry is skipped (the member's next announcement replaces it).
 */
export async function loadMembers (storage: Storage, onCorrupt: (key: string, error: unknown) => void): Promise<SignedRecord[]> {
  const out: SignedRecord[] = []
  for await (const [key, bytes] of storage.scan('meta', { gte: MEMBER_PREFIX, lt: MEMBER_END })) {
    try {
      const signed = storedRecord(key, bytes)
      if (MEMBER_PREFIX + signed.record.id !== key) throw new CodecError(`record of ${signed.record.id} stored under ${key}`)
      out.push(signed)
    } catch (error) {
      onCorrupt(key, error)
    }
  }
  return out
}

/** The valid, interned record `bytes` hold (throws when they hold none). */
function storedRecord (key: string, bytes: Uint8Array): SignedRecord {
  const held = loaded.get(bytes)
  if (held !== undefined) return held
  const announcement = decodeAnnouncement(bytes)
  if (!('signed' in announcement)) throw new CodecError(`${key} holds no member record`)
  const { signed } = announcement
  const record = validateRecord(signed.record)
  const valid = signed.admission === undefined ? { record, signature: signed.signature } : { record, signature: signed.signature, admission: signed.admission }
  // The object other holders of this record use, if any (core member-intern.ts).
  const interned = internSignedRecord(valid, encodeRecord(record))
  loaded.set(bytes, interned)
  return interned
}

/**
 * storedRecord's answer per buffer object. A storage hands out a fresh buffer per read, and
 * this costs a lookup; the simulator's disks hand every peer's load the same buffer for
 * the same stored bytes (sim storage.ts), so a cluster of S peers that starts from stored
 * tables decodes S records, not S² (issue 13). Buffers read from storage are never changed.
 */
const loaded = new WeakMap<Uint8Array, SignedRecord>()
