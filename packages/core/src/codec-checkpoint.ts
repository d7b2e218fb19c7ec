/**
 * Ring checkpoints (ring-checkpoint.ts) on the wire and their identity.
 *
 * Wire layout (CBOR array):
 *   RingCheckpoint = [1, q, cut, [[id, weight, zone]…], owners: bytes, [rank layer: bytes…], ranksInUse, zoneRanks]
 * A member list sorted by id (strictly); owners and each rank layer are q big-endian uint16,
 * a member's position in the list plus 1, 0 for none (LIMITS.members fits). The leading 1
 * is a format version: `checkpointHash` is over these bytes, and members compare hashes to
 * agree on a checkpoint, so the layout must never change silently.
 */
import { sha256 } from '#sha256'
import type { FromWire } from './codec-wire.js'
import { decodeChecked, encodeChecked, readBytes, readInt, readList, readNumber, readPeerId, readText } from './codec-wire.js'
import { CodecError } from './errors.js'
import { MAX_MEMBER_WEIGHT, MAX_RING_PARTITIONS, NO_OWNER } from './ring-assign.js'
import type { CheckpointMember, RingCheckpoint } from './ring-checkpoint.js'
import { BALANCED_RANKS } from './ring-ranks.js'
import { LIMITS } from './types.js'

const CHECKPOINT_FORMAT = 1

/** Bytes of a checkpoint's hash (SHA-256). */
export const CHECKPOINT_HASH_BYTES = 32

/** Upper bound of an encoded checkpoint: q at its bound in every layer, every member at its limits. */
export const MAX_CHECKPOINT_BYTES = BALANCED_RANKS * 2 * MAX_RING_PARTITIONS + LIMITS.members * (LIMITS.idBytes + LIMITS.zoneBytes + 24) + 64

function layerToBytes (layer: Int32Array): Uint8Array {
  const bytes = new Uint8Array(layer.length * 2)
  const view = new DataView(bytes.buffer)
  layer.forEach((position, p) => { view.setUint16(p * 2, position === NO_OWNER ? 0 : position + 1) })
  return bytes
}

function layerFromBytes (bytes: Uint8Array, q: number, members: number, path: string): Int32Array {
  if (bytes.length !== 2 * q) throw new CodecError(`expected ${2 * q} bytes (q = ${q}), got ${bytes.length}`, path)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const layer = new Int32Array(q)
  for (let p = 0; p < q; p++) {
    const value = view.getUint16(p * 2)
    if (value > members) throw new CodecError(`partition ${p} names member ${value - 1} of ${members}`, path)
    layer[p] = value - 1
  }
  return layer
}

function checkpointToWire (c: RingCheckpoint): unknown {
  return [
    CHECKPOINT_FORMAT, c.q, c.cut, c.members.map((m) => [m.id, m.weight, m.zone]),
    layerToBytes(c.owners), c.ranks.map(layerToBytes), c.ranksInUse, c.zoneRanks
  ]
}

const checkpointFromWire: FromWire<RingCheckpoint> = (w, path) => {
  const f = readList(w, path, 8, 8, (x) => x)
  readInt(f[0], `${path}.format`, CHECKPOINT_FORMAT, CHECKPOINT_FORMAT)
  const q = readInt(f[1], `${path}.q`, 1, MAX_RING_PARTITIONS)
  if ((q & (q - 1)) !== 0) throw new CodecError(`q ${q} is not a power of two`, `${path}.q`)
  const cut = readInt(f[2], `${path}.cut`, 0)
  const members = readList(f[3], `${path}.members`, 0, LIMITS.members, (x, p): CheckpointMember => {
    const [id, weight, zone] = readList(x, p, 3, 3, (y) => y)
    return { id: readPeerId(id, `${p}.id`), weight: readNumber(weight, `${p}.weight`, 0, MAX_MEMBER_WEIGHT), zone: readText(zone, `${p}.zone`, 0, LIMITS.zoneBytes) }
  })
  members.forEach((m, i) => {
    if (i > 0 && (members[i - 1] as CheckpointMember).id >= m.id) throw new CodecError('members must be sorted by id, without duplicates', `${path}.members[${i}]`)
  })
  const layer = (x: unknown, p: string): Int32Array => layerFromBytes(readBytes(x, p, 0, 2 * MAX_RING_PARTITIONS), q, members.length, p)
  return {
    q,
    cut,
    members,
    owners: layer(f[4], `${path}.owners`),
    ranks: readList(f[5], `${path}.ranks`, BALANCED_RANKS - 1, BALANCED_RANKS - 1, layer),
    ranksInUse: readInt(f[6], `${path}.ranksInUse`, 0, BALANCED_RANKS),
    zoneRanks: readInt(f[7], `${path}.zoneRanks`, 0, BALANCED_RANKS)
  }
}

/** Canonical bytes of a checkpoint: what a peer sends one that lacks it, and what its hash is over. */
export function encodeCheckpoint (checkpoint: RingCheckpoint): Uint8Array {
  return encodeChecked(checkpoint, 'checkpoint', MAX_CHECKPOINT_BYTES, checkpointToWire, checkpointFromWire)
}

export function decodeCheckpoint (bytes: Uint8Array): RingCheckpoint {
  return decodeChecked(bytes, 'checkpoint', MAX_CHECKPOINT_BYTES, checkpointFromWire)
}

/** A checkpoint's identity: SHA-256 of its canonical bytes. Equal hashes, equal fold states. */
export function checkpointHash (checkpoint: RingCheckpoint): Uint8Array {
  return sha256(encodeCheckpoint(checkpoint))
}
