/**
 * Member records, signed records and gossip announcements.
 *
 * Wire layout (CBOR arrays):
 *   MemberRecord = [1, id, [addr…], weight, zone, status, incarnation, heartbeat, joinedAt, leftAt | null]
 *                  then, appended, each only when needed (so that every other record stays
 *                  byte-identical to what older peers read):
 *                  stints: [[joinedAt, leftAt, weight, zone]…] (the earlier stints of a member
 *                  that rejoined; null when absent and a checkpoint follows),
 *                  checkpoint: [cut, hash: bytes(32)] (the ring checkpoint it advertises)
 *   SignedRecord = [MemberRecord, signature: bytes] or [MemberRecord, signature, SignedAdmission]
 *                  (codec-admission.ts; the third element only when the author has one)
 *   Announcement = [1, SignedRecord]
 * The leading 1 is a format version: signatures cover `encodeRecord` bytes, so the layout
 * must never change silently. status: 0 active, 1 leaving, 2 left. leftAt is null exactly
 * when status is active (membership.ts: a leaving member records when it began leaving).
 * After the field checks here, `validateRecord` (membership.ts) runs; its
 * InvalidRecordError becomes a CodecError naming the field.
 */
import { MAX_SIGNED_ADMISSION_BYTES, signedAdmissionFromWire, signedAdmissionToWire } from './codec-admission.js'
import { MAX_SIGNED_REMOVAL_BYTES, signedRemovalFromWire, signedRemovalToWire } from './codec-removal.js'
import type { FromWire } from './codec-wire.js'
import { decodeChecked, encodeChecked, nameOf, readInt, readList, readNullable, readNumber, readPeerId, readText, readBytes, tagOf } from './codec-wire.js'
import { CodecError } from './errors.js'
import { InvalidRecordError, validateRecord } from './membership.js'
import type { Announcement, SignedRecord } from './messages.js'
import { MAX_MEMBER_WEIGHT } from './ring-assign.js'
import type { CheckpointRef, MemberRecord, MemberStatus, Stint } from './types.js'
import { LIMITS } from './types.js'

const RECORD_FORMAT = 1
/** The first element of an announcement: which kind follows. */
const ANNOUNCEMENT_FORMAT = 1
const REMOVAL_ANNOUNCEMENT_FORMAT = 2
const STATUSES: readonly MemberStatus[] = ['active', 'leaving', 'left']

/** Signature bytes: Ed25519 is 64, RSA-4096 (libp2p RSA peer ids) is 512; 1 KiB leaves room. */
export const MAX_SIGNATURE_BYTES = 1024

/** Upper bound of an encoded record: every string at its limit plus CBOR headers (≤ 9 bytes each), stints included. */
export const MAX_RECORD_BYTES = LIMITS.idBytes + LIMITS.zoneBytes + LIMITS.addrsPerMember * (LIMITS.addrBytes + 3) + 128 +
  LIMITS.stints * (LIMITS.zoneBytes + 40) + 48
export const MAX_SIGNED_RECORD_BYTES = MAX_RECORD_BYTES + MAX_SIGNATURE_BYTES + MAX_SIGNED_ADMISSION_BYTES + 16
export const MAX_ANNOUNCEMENT_BYTES = Math.max(MAX_SIGNED_RECORD_BYTES, MAX_SIGNED_REMOVAL_BYTES) + 16

export function recordToWire (r: MemberRecord): unknown {
  const fields: unknown[] = [
    RECORD_FORMAT, r.id, [...r.addrs], r.weight, r.zone, tagOf(STATUSES, r.status),
    r.incarnation, r.heartbeat, r.joinedAt, r.leftAt ?? null
  ]
  const stints = r.stints !== undefined && r.stints.length > 0 ? r.stints.map((s) => [s.joinedAt, s.leftAt, s.weight, s.zone]) : null
  if (r.checkpoint !== undefined) fields.push(stints, [r.checkpoint.cut, r.checkpoint.hash])
  else if (stints !== null) fields.push(stints)
  return fields
}

const checkpointRefFromWire: FromWire<CheckpointRef> = (w, path) => {
  const [cut, hash] = readList(w, path, 2, 2, (x) => x)
  return { cut: readInt(cut, `${path}.cut`, 0), hash: readBytes(hash, `${path}.hash`, 32, 32) }
}

const stintFromWire: FromWire<Stint> = (w, path) => {
  const [joinedAt, leftAt, weight, zone] = readList(w, path, 4, 4, (x) => x)
  return {
    joinedAt: readInt(joinedAt, `${path}.joinedAt`, 0),
    leftAt: readInt(leftAt, `${path}.leftAt`, 0),
    weight: readNumber(weight, `${path}.weight`, 0, MAX_MEMBER_WEIGHT),
    zone: readText(zone, `${path}.zone`, 0, LIMITS.zoneBytes)
  }
}

export const recordFromWire: FromWire<MemberRecord> = (w, path) => {
  const f = readList(w, path, 10, 12, (x) => x)
  readInt(f[0], `${path}.format`, RECORD_FORMAT, RECORD_FORMAT)
  // Stints only when non-empty (an empty list would be a second encoding of the same
  // record); null only as the placeholder before a checkpoint.
  const readStints = (x: unknown, p: string): Stint[] => readList(x, p, 1, LIMITS.stints, stintFromWire)
  const stints = f.length === 11 ? readStints(f[10], `${path}.stints`) : f.length === 12 ? readNullable(f[10], `${path}.stints`, readStints) ?? undefined : undefined
  const checkpoint = f.length === 12 ? checkpointRefFromWire(f[11], `${path}.checkpoint`) : undefined
  const status = nameOf(STATUSES, f[5], `${path}.status`)
  const record: MemberRecord = {
    id: readPeerId(f[1], `${path}.id`),
    addrs: readList(f[2], `${path}.addrs`, 0, LIMITS.addrsPerMember, (x, p) => readText(x, p, 1, LIMITS.addrBytes)),
    weight: readNumber(f[3], `${path}.weight`, 0, MAX_MEMBER_WEIGHT),
    zone: readText(f[4], `${path}.zone`, 0, LIMITS.zoneBytes),
    status,
    incarnation: readInt(f[6], `${path}.incarnation`, 0),
    heartbeat: readInt(f[7], `${path}.heartbeat`, 0),
    joinedAt: readInt(f[8], `${path}.joinedAt`, 0)
  }
  const leftAt = readNullable(f[9], `${path}.leftAt`, (x, p) => readInt(x, p, 0))
  if ((status === 'active') !== (leftAt === null)) {
    throw new CodecError(status === 'active' ? 'leftAt must be null when status is active' : `a ${status} member needs leftAt`, `${path}.leftAt`)
  }
  const withStints = { ...record, ...(stints === undefined ? {} : { stints }), ...(checkpoint === undefined ? {} : { checkpoint }) }
  return checkRecord(leftAt === null ? withStints : { ...withStints, leftAt }, path)
}

/** Runs membership's validateRecord, naming the offending field in the CodecError. */
function checkRecord (record: MemberRecord, path: string): MemberRecord {
  try {
    return validateRecord(record)
  } catch (err) {
    const field = err instanceof InvalidRecordError ? `${path}.${err.field}` : path
    throw new CodecError(err instanceof Error ? err.message : String(err), field, { cause: err })
  }
}

export function signedToWire (s: SignedRecord): unknown {
  return s.admission === undefined
    ? [recordToWire(s.record), s.signature]
    : [recordToWire(s.record), s.signature, signedAdmissionToWire(s.admission)]
}

export const signedFromWire: FromWire<SignedRecord> = (w, path) => {
  const [record, signature, admission] = readList(w, path, 2, 3, (x) => x)
  const signed = {
    record: recordFromWire(record, `${path}.record`),
    signature: readBytes(signature, `${path}.signature`, 1, MAX_SIGNATURE_BYTES)
  }
  return admission === undefined ? signed : { ...signed, admission: signedAdmissionFromWire(admission, `${path}.admission`) }
}

function announcementToWire (a: Announcement): unknown {
  return 'removal' in a ? [REMOVAL_ANNOUNCEMENT_FORMAT, signedRemovalToWire(a.removal)] : [ANNOUNCEMENT_FORMAT, signedToWire(a.signed)]
}

const announcementFromWire: FromWire<Announcement> = (w, path) => {
  const [format, body] = readList(w, path, 2, 2, (x) => x)
  const kind = readInt(format, `${path}.format`, ANNOUNCEMENT_FORMAT, REMOVAL_ANNOUNCEMENT_FORMAT)
  return kind === REMOVAL_ANNOUNCEMENT_FORMAT
    ? { removal: signedRemovalFromWire(body, `${path}.removal`) }
    : { signed: signedFromWire(body, `${path}.signed`) }
}

/** Canonical bytes of a record: what its author signs and what verifiers check. */
export function encodeRecord (record: MemberRecord): Uint8Array {
  return encodeChecked(record, 'record', MAX_RECORD_BYTES, recordToWire, recordFromWire)
}

export function decodeRecord (bytes: Uint8Array): MemberRecord {
  return decodeChecked(bytes, 'record', MAX_RECORD_BYTES, recordFromWire)
}

export function encodeAnnouncement (a: Announcement): Uint8Array {
  return encodeChecked(a, 'announcement', MAX_ANNOUNCEMENT_BYTES, announcementToWire, announcementFromWire)
}

export function decodeAnnouncement (bytes: Uint8Array): Announcement {
  return decodeChecked(bytes, 'announcement', MAX_ANNOUNCEMENT_BYTES, announcementFromWire)
}
