/**
 * Member records and the rules that merge them (Dynamo §4.8). Each peer authors the only
 * record about itself; everybody else keeps the newest record they have seen per peer.
 * "Newest" is decided by the record alone (incarnation, then heartbeat, then status), so
 * every table that has seen the same records holds the same table, whatever the order:
 * `mergeTables` is a join (commutative, associative, idempotent).
 *
 * The engine verifies the author's signature over `encodeRecord(record)` (codec.ts) before
 * calling `applyRecord` with the signer as `authoredBy`.
 */
import { MAX_MEMBER_WEIGHT } from './ring-assign.js'
import { LIMITS } from './types.js'
import type { CheckpointRef, MemberRecord, MemberStatus, PeerId, Stint } from './types.js'

/** Bytes of a checkpoint hash (SHA-256; codec-checkpoint.ts CHECKPOINT_HASH_BYTES). */
const CHECKPOINT_REF_HASH_BYTES = 32

/** A record failed structural validation; `field` names the offending field. */
export class InvalidRecordError extends Error {
  static override name = 'InvalidRecordError'
  override name = 'InvalidRecordError'
  readonly field: string

  constructor (field: string, message: string) {
    super(`invalid member record: ${message}`)
    this.field = field
  }
}

/** Newest known record per member id. */
export type MemberTable = ReadonlyMap<PeerId, MemberRecord>

export type RecordRejectReason = 'not-author' | 'stale' | 'invalid' | 'full'

export interface ApplyRecordResult {
  readonly table: MemberTable
  readonly accepted: boolean
  readonly reason?: RecordRejectReason
}

/** What may change when a member restarts. */
export interface RestartUpdate {
  readonly addrs?: readonly string[]
  readonly weight?: number
  readonly zone?: string
  /**
   * For a member that had left: its new join time (it joins after every event it knows of,
   * peer's membership.ts). Never earlier than just after its own leave.
   */
  readonly rejoinedAt?: number
}

export interface NewMemberFields {
  readonly id: PeerId
  readonly addrs: readonly string[]
  readonly weight: number
  readonly zone: string
  readonly joinedAt: number
}

/** Status tie-break within one (incarnation, heartbeat): a departure wins over presence. */
const STATUS_RANK: Readonly<Record<MemberStatus, number>> = { active: 0, leaving: 1, left: 2 }

const RECORD_FIELDS = new Set(['id', 'addrs', 'weight', 'zone', 'status', 'incarnation', 'heartbeat', 'joinedAt', 'leftAt', 'stints', 'checkpoint'])

/**
 * Orders two records about the same member: incarnation, then heartbeat, then status rank
 * (active < leaving < left). An honest author never signs two different records with the
 * same three, but one that lost its state might; a last tie-break on the remaining
 * content keeps the order total (0 only for equal records), so every peer still converges
 * on the same record and `mergeTables` stays commutative.
 */
export function compareRecords (a: MemberRecord, b: MemberRecord): number {
  return (a.incarnation - b.incarnation) ||
    (a.heartbeat - b.heartbeat) ||
    (STATUS_RANK[a.status] - STATUS_RANK[b.status]) ||
    compareStrings(contentKey(a), contentKey(b))
}

/**
 * Checks every field against LIMITS (and the ring's weight bound) and returns a fresh record holding only the known
 * fields. `leftAt` is required for 'leaving' (when the departure began) and 'left', and
 * absent for 'active'. Strings must be well-formed UTF-16 so that they survive the UTF-8
 * round trip of the codec unchanged (the signature covers the encoded bytes).
 */
export function validateRecord (record: unknown): MemberRecord {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new InvalidRecordError('record', 'not an object')
  }
  // Its own output again (a decoded record validated by the codec, then by membership).
  if (validRecords.has(record)) return record as MemberRecord
  const r = record as Record<string, unknown>
  for (const field of Object.keys(r)) {
    if (!RECORD_FIELDS.has(field)) throw new InvalidRecordError(field, `unknown field '${field}'`)
  }
  const id = checkString(r.id, 'id', 1, LIMITS.idBytes)
  const addrs = checkAddrs(r.addrs)
  const weight = r.weight
  // The ring refuses weights above MAX_MEMBER_WEIGHT (its sums must stay exact), so a
  // record carrying one must never reach a table.
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > MAX_MEMBER_WEIGHT) {
    throw new InvalidRecordError('weight', `'weight' must be a finite number in [0, ${MAX_MEMBER_WEIGHT}], got ${describe(weight)}`)
  }
  const zone = checkString(r.zone, 'zone', 0, LIMITS.zoneBytes)
  const status = r.status
  if (!isStatus(status)) {
    throw new InvalidRecordError('status', `'status' must be 'active', 'leaving' or 'left', got ${describe(status)}`)
  }
  const counters = {
    incarnation: checkCount(r.incarnation, 'incarnation'),
    heartbeat: checkCount(r.heartbeat, 'heartbeat'),
    joinedAt: checkCount(r.joinedAt, 'joinedAt')
  }
  const stints = checkStints(r.stints, counters.joinedAt)
  const checkpoint = checkCheckpointRef(r.checkpoint)
  const base: MemberRecord = {
    id, addrs, weight, zone, status, ...counters, ...(stints === undefined ? {} : { stints }), ...(checkpoint === undefined ? {} : { checkpoint })
  }
  if (status === 'active') {
    if (r.leftAt !== undefined) throw new InvalidRecordError('leftAt', `'leftAt' must be absent when status is 'active'`)
    validRecords.add(base)
    return base
  }
  if (r.leftAt === undefined) throw new InvalidRecordError('leftAt', `'leftAt' is required when status is '${status}'`)
  const left = { ...base, leftAt: checkCount(r.leftAt, 'leftAt') }
  validRecords.add(left)
  return left
}

/**
 * validateRecord's own outputs: records are readonly, so one that passed stays valid, and
 * validating it again (every received record was checked by the decoder, then by
 * membership) costs a lookup, not the field checks.
 */
const validRecords = new WeakSet<object>()

/**
 * Accepts `record` iff its author is the member it describes, it is valid, and it is
 * strictly newer than the record held. Returns the same table object when not accepted.
 * A new member beyond LIMITS.members is refused ('full').
 */
export function applyRecord (table: MemberTable, record: MemberRecord, authoredBy: PeerId): ApplyRecordResult {
  const verdict = judgeRecord(table, record, authoredBy)
  if (!verdict.accepted) return { table, accepted: false, reason: verdict.reason }
  const next = new Map(table)
  next.set(verdict.record.id, verdict.record)
  return { table: next, accepted: true }
}

/**
 * applyRecord's decision without building a new table: the validated record to store, or
 * why it is refused. For a holder that keeps one mutable table (peer's membership): copying
 * the table on every accepted record costs the cluster size per record.
 */
export function judgeRecord (
  table: ReadonlyMap<PeerId, MemberRecord>, record: MemberRecord, authoredBy: PeerId
): { readonly accepted: true, readonly record: MemberRecord } | { readonly accepted: false, readonly reason: RecordRejectReason } {
  // Validate first: `record` may come straight off the wire, and reading `.id` of garbage must not throw.
  let valid: MemberRecord
  try {
    valid = validateRecord(record)
  } catch (error) {
    if (error instanceof InvalidRecordError) return { accepted: false, reason: 'invalid' }
    throw error
  }
  if (valid.id !== authoredBy) return { accepted: false, reason: 'not-author' }
  const held = table.get(valid.id)
  if (held !== undefined && compareRecords(valid, held) <= 0) return { accepted: false, reason: 'stale' }
  if (held === undefined && table.size >= LIMITS.members) return { accepted: false, reason: 'full' }
  return { accepted: true, record: valid }
}

/**
 * Pointwise newest of two tables of already verified records. Beyond `limit` members
 * only the `limit` smallest ids are kept: that choice depends on the union alone, so the
 * bound keeps the join laws (commutative, associative, idempotent).
 */
export function mergeTables (a: MemberTable, b: MemberTable, limit: number = LIMITS.members): MemberTable {
  const merged = new Map(a)
  for (const [id, record] of b) {
    const held = merged.get(id)
    if (held === undefined || compareRecords(record, held) > 0) merged.set(id, record)
  }
  if (merged.size <= limit) return merged
  const kept = [...merged.keys()].sort(compareStrings).slice(0, Math.max(0, limit))
  return new Map(kept.map((id) => [id, merged.get(id) as MemberRecord]))
}

/** A fresh member: active, incarnation 0, heartbeat 0. Throws InvalidRecordError on bad fields. */
export function newMemberRecord (fields: NewMemberFields): MemberRecord {
  const { id, addrs, weight, zone, joinedAt } = fields
  return validateRecord({ id, addrs: [...addrs], weight, zone, status: 'active', incarnation: 0, heartbeat: 0, joinedAt })
}

/** The same incarnation, one heartbeat later. */
export function nextHeartbeat (record: MemberRecord): MemberRecord {
  return { ...record, heartbeat: record.heartbeat + 1 }
}

/**
 * The record after a restart: incarnation + 1, heartbeat 0, with new addresses, weight or
 * zone if given. A 'leaving' member stays leaving (the engine resumes its hand-off). A
 * 'left' member that runs again under the same identity rejoins as 'active': the higher
 * incarnation is what lets this record beat its old 'left' record everywhere.
 */
export function restartRecord (record: MemberRecord, update: RestartUpdate = {}): MemberRecord {
  const { leftAt, ...rest } = record
  const next = {
    ...rest,
    addrs: [...(update.addrs ?? record.addrs)],
    weight: update.weight ?? record.weight,
    zone: update.zone ?? record.zone,
    incarnation: record.incarnation + 1,
    heartbeat: 0
  }
  if (record.status === 'left') {
    // The stint that ended stays in the record: its join and leave remain ring events, so
    // the rejoin is a new event after them and moves only the member's share.
    // Its leave event is never before its join (ring-assign.ts ringEvents): nor is the stint's.
    const ended: Stint = { joinedAt: record.joinedAt, leftAt: Math.max(leftAt ?? record.joinedAt, record.joinedAt), weight: record.weight, zone: record.zone }
    const stints = [...(record.stints ?? []), ended].slice(-LIMITS.stints)
    const joinedAt = Math.max(update.rejoinedAt ?? 0, ended.leftAt + 1)
    return validateRecord({ ...next, status: 'active', joinedAt, stints })
  }
  return validateRecord(record.status === 'leaving' ? { ...next, leftAt } : next)
}

/** The member starts handing off its data: status 'leaving' since `now`, incarnation + 1. */
export function leavingRecord (record: MemberRecord, now: number): MemberRecord {
  return validateRecord({ ...record, status: 'leaving', leftAt: now, incarnation: record.incarnation + 1, heartbeat: 0 })
}

/** The member has left: status 'left' at `now`, incarnation + 1. */
export function leaveRecord (record: MemberRecord, now: number): MemberRecord {
  // A member already 'leaving' keeps its leftAt: the ring's leave event stays where it was,
  // so finishing the leave does not refold (and reshuffle) everything after that event.
  const leftAt = record.status === 'leaving' && record.leftAt !== undefined ? record.leftAt : now
  return validateRecord({ ...record, status: 'left', leftAt, incarnation: record.incarnation + 1, heartbeat: 0 })
}

/** Members whose status is 'active', sorted by id. */
export function activeMembers (table: MemberTable): MemberRecord[] {
  return [...table.values()].filter((r) => r.status === 'active').sort((a, b) => compareStrings(a.id, b.id))
}

function isStatus (value: unknown): value is MemberStatus {
  return typeof value === 'string' && Object.hasOwn(STATUS_RANK, value)
}

function checkString (value: unknown, field: string, minBytes: number, maxBytes: number): string {
  if (typeof value !== 'string') throw new InvalidRecordError(field, `'${field}' must be a string, got ${describe(value)}`)
  if (!value.isWellFormed()) throw new InvalidRecordError(field, `'${field}' is not well-formed Unicode (lone surrogate)`)
  const bytes = utf8Length(value)
  if (bytes < minBytes) throw new InvalidRecordError(field, `'${field}' must not be empty`)
  if (bytes > maxBytes) throw new InvalidRecordError(field, `'${field}' is ${bytes} bytes, more than ${maxBytes}`)
  return value
}

function checkAddrs (value: unknown): string[] {
  if (!Array.isArray(value)) throw new InvalidRecordError('addrs', `'addrs' must be an array, got ${describe(value)}`)
  if (value.length > LIMITS.addrsPerMember) {
    throw new InvalidRecordError('addrs', `'addrs' has ${value.length} entries, more than ${LIMITS.addrsPerMember}`)
  }
  return Array.from(value, (addr: unknown, i) => checkString(addr, `addrs[${i}]`, 1, LIMITS.addrBytes))
}

/** Counters and wall-clock times: non-negative safe integers. */
function checkCount (value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidRecordError(field, `'${field}' must be a non-negative safe integer, got ${describe(value)}`)
  }
  return value
}

function describe (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value)
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}

/** UTF-8 length without allocating (valid for well-formed strings). */
function utf8Length (value: string): number {
  let bytes = 0
  for (const char of value) {
    const code = char.codePointAt(0) as number
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4
  }
  return bytes
}

/** Every field but the ordering counters, as one comparable string (the final tie-break). */
function contentKey (r: MemberRecord): string {
  // Once per record object (records are immutable): every duplicate a peer receives of a
  // record it holds ties on the counters and ends here, against the same held record.
  let key = contentKeys.get(r)
  if (key === undefined) {
    const checkpoint = r.checkpoint === undefined ? null : [r.checkpoint.cut, Array.from(r.checkpoint.hash)]
    key = JSON.stringify([r.id, r.joinedAt, r.leftAt ?? -1, r.weight, r.zone, r.addrs, r.stints ?? [], checkpoint])
    contentKeys.set(r, key)
  }
  return key
}

const contentKeys = new WeakMap<MemberRecord, string>()

/**
 * A record's earlier stints: at most LIMITS.stints, each joined no later than it left, each
 * left before the next began, the last left before `joinedAt`; so the ring events they add
 * come in the order they happened. Absent (undefined) when empty: such a record encodes
 * exactly as before stints existed.
 */
function checkStints (value: unknown, joinedAt: number): Stint[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw new InvalidRecordError('stints', `'stints' must be an array, got ${describe(value)}`)
  if (value.length > LIMITS.stints) throw new InvalidRecordError('stints', `'stints' has ${value.length} entries, more than ${LIMITS.stints}`)
  if (value.length === 0) return undefined
  let after = -1
  return Array.from(value, (stint: unknown, i): Stint => {
    const field = `stints[${i}]`
    if (typeof stint !== 'object' || stint === null || Array.isArray(stint)) throw new InvalidRecordError(field, `'${field}' must be an object`)
    const s = stint as Record<string, unknown>
    const joined = checkCount(s.joinedAt, `${field}.joinedAt`)
    const left = checkCount(s.leftAt, `${field}.leftAt`)
    const weight = s.weight
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > MAX_MEMBER_WEIGHT) {
      throw new InvalidRecordError(`${field}.weight`, `'${field}.weight' must be a finite number in [0, ${MAX_MEMBER_WEIGHT}]`)
    }
    const zone = checkString(s.zone, `${field}.zone`, 0, LIMITS.zoneBytes)
    if (joined <= after || left < joined) throw new InvalidRecordError(field, `'${field}' must begin after the stint before it and end no earlier than it began`)
    after = left
    if (i === value.length - 1 && left >= joinedAt) throw new InvalidRecordError(field, `the last stint must end before joinedAt ${joinedAt}`)
    return { joinedAt: joined, leftAt: left, weight, zone }
  })
}

/** A checkpoint advertisement: a cut (a time) and a 32-byte hash, copied. */
function checkCheckpointRef (value: unknown): CheckpointRef | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidRecordError('checkpoint', `'checkpoint' must be an object, got ${describe(value)}`)
  const c = value as Record<string, unknown>
  const cut = checkCount(c.cut, 'checkpoint.cut')
  if (!(c.hash instanceof Uint8Array) || c.hash.length !== CHECKPOINT_REF_HASH_BYTES) {
    throw new InvalidRecordError('checkpoint.hash', `'checkpoint.hash' must be ${CHECKPOINT_REF_HASH_BYTES} bytes`)
  }
  return { cut, hash: c.hash.slice() }
}

/** Code-unit order: deterministic on every platform (no locale). */
function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
