/**
 * Shared data types of the pure core. Every module of core (ring, versions, merkle,
 * membership, codec) and the peer engine speak these shapes; they are plain data so that
 * they encode to CBOR without adapters and compare structurally in tests.
 */

/** A peer's identity: the libp2p peer id string in real deployments, any string in tests. */
export type PeerId = string

/** A user key. UTF-8, non-empty, at most `LIMITS.keyBytes` bytes when encoded. */
export type Key = string

/**
 * One stored version of a key. `value === null` is a tombstone (a delete).
 * `ts` is the coordinator's wall clock (ms) when it wrote this version: used only by
 * last-write-wins and by tombstone garbage collection, never for causality.
 */
export interface Sibling {
  readonly value: Uint8Array | null
  readonly ts: number
}

/**
 * A causal context: a version vector, one `[actor, counter]` entry per coordinating peer,
 * sorted by actor, no duplicate actors, counters ≥ 1. Returned by reads, handed back by
 * writes so that a write supersedes exactly what its reader saw.
 */
export type VersionVector = ReadonlyArray<readonly [actor: PeerId, counter: number]>

/**
 * One actor's entry of a dotted version vector set (Riak's DVVSet `{Id, Counter, Values}`).
 * `values[i]` is the sibling whose dot is `(actor, counter - i)`: newest first. Values
 * older than `counter - values.length` are causally covered by this entry.
 * `ts` = wall clock (ms) of the last event at this entry: a dot minted through it, or a
 * write that superseded some of its values (versions.ts `discardCovered`); the truncation
 * policy drops the least recently touched value-less entries first.
 */
export interface DvvEntry {
  readonly actor: PeerId
  readonly counter: number
  readonly values: readonly Sibling[]
  readonly ts: number
}

/**
 * A dotted version vector set: all concurrent versions of one key with their causal
 * history. `entries` sorted by actor, unique actors. `anonymous` holds values written
 * without a dot (DVVSet's anonymous list); the engine never produces them on a replica,
 * but the structure keeps them to stay faithful to DVVSet's laws.
 */
export interface DvvSet {
  readonly entries: readonly DvvEntry[]
  readonly anonymous: readonly Sibling[]
}

/** What a member announces about itself. Only the member itself may author it. */
export type MemberStatus = 'active' | 'leaving' | 'left'

export interface MemberRecord {
  readonly id: PeerId
  /** Multiaddrs (strings) where the member can be dialled; may be empty for a browser tab. */
  readonly addrs: readonly string[]
  /** Capacity: how many partitions it should own relative to the others. 0 = light peer. */
  readonly weight: number
  /** Failure-domain label (machine, rack, data centre); preference lists spread across zones. */
  readonly zone: string
  readonly status: MemberStatus
  /** Bumped by the member on every restart or status change; orders records. */
  readonly incarnation: number
  /** Bumped by the member periodically within one incarnation; orders records. */
  readonly heartbeat: number
  /** The member's wall clock (ms) when it first joined the cluster; persisted. Orders ring events. */
  readonly joinedAt: number
  /** Wall clock (ms) at which it started leaving / left; set iff status is 'leaving' or 'left'. */
  readonly leftAt?: number
  /**
   * The member's earlier stints, oldest first, when it left and rejoined: each stint's join
   * and leave stay ring events, so a rejoin moves only its share instead of refolding the
   * ring from its first join (ring-assign.ts ringEvents). Absent when it never rejoined.
   */
  readonly stints?: readonly Stint[]
  /**
   * The ring checkpoint this member holds and proposes (ring-checkpoint.ts): its cut and
   * the hash of its canonical bytes (codec-checkpoint.ts). Once every active member
   * advertises the same one, each may fold from it and drop what it made compactable.
   */
  readonly checkpoint?: CheckpointRef
}

/** A ring checkpoint named by its cut and hash (MemberRecord.checkpoint). */
export interface CheckpointRef {
  readonly cut: number
  /** SHA-256 of the checkpoint's canonical bytes: 32 bytes. */
  readonly hash: Uint8Array
}

/** A replica placement for a key: the owner walking the ring, and whom a fallback stands in for. */
export interface Placement {
  readonly peer: PeerId
  readonly role: 'primary' | 'fallback'
  /** For a fallback: the unreachable primary whose copy it keeps as a hint. */
  readonly hintFor?: PeerId
}

/** Bounds on everything that crosses a wire or lands on disk. */
/** An earlier membership period: joined at `joinedAt` with `weight` in `zone`, left at `leftAt`. */
export interface Stint {
  readonly joinedAt: number
  readonly leftAt: number
  readonly weight: number
  readonly zone: string
}

export const LIMITS = {
  /** Key length in UTF-8 bytes. */
  keyBytes: 1024,
  /** One value in bytes (HTTP 413 above this). */
  valueBytes: 1024 * 1024,
  /**
   * The write bound on sibling count (a mint cap): a put whose result would hold more
   * siblings is refused (HTTP 409 `too_many_siblings`). Checked only where a dot is minted
   * (peer's data/mint.ts); merges of existing versions go past it, up to `storedSiblings`.
   */
  siblings: 64,
  /**
   * The write bound on bytes (a mint cap): a put whose result would hold more bytes of
   * sibling values is refused (HTTP 413 `siblings_too_large`). Half a frame, so whatever
   * one writer produced, and so every actor's entry of a merged version, fits one frame
   * with room to spare: a larger merged version travels as actor-disjoint parts
   * (versions-split.ts).
   */
  siblingBytes: 4 * 1024 * 1024,
  /**
   * The storage bound on sibling count: what merges (replica-put, read repair, anti-entropy,
   * handoff, transfer, hints) may reach. 64 mint caps: that many coordinators cut off from
   * each other, each filling the key to its cap. The codec refuses more in one clock.
   */
  storedSiblings: 64 * 64,
  /**
   * Entries (actors) per version vector before truncation drops value-less entries older
   * than `clockHorizonMs` (entries holding values are never dropped); also the most
   * entries a context handed to a client carries beside those of the values it read.
   */
  clockEntries: 64,
  /**
   * Entries per version vector before truncation drops value-less entries that are young
   * (touched within `clockHorizonMs` of the clock's newest entry): the records of recent
   * supersessions, which a lagging replica needs to drop the values they superseded.
   */
  youngClockEntries: 256,
  /**
   * How long truncation keeps a value-less entry while the clock holds at most
   * `youngClockEntries`: a week, as long as a hint may wait for its target (the peer's
   * `hintMaxAgeMs`), so a hint delivered late still meets the record of what superseded
   * the values it carries. Measured from the clock's newest entry, not from now, so every
   * replica truncates the same clock the same way.
   */
  clockHorizonMs: 7 * 24 * 60 * 60 * 1000,
  /**
   * Entries in a clock or a context on the wire and on disk: one per stored sibling (each
   * may have its own actor, and truncation keeps every entry holding a value) plus the
   * value-less ones truncation leaves.
   */
  storedClockEntries: 64 * 64 + 64,
  /** One encoded wire frame. */
  frameBytes: 8 * 1024 * 1024,
  /** Keys in one anti-entropy / transfer batch. */
  batchKeys: 1024,
  /** Members in one membership table. */
  members: 4096,
  /** Multiaddrs per member record and bytes per multiaddr. */
  addrsPerMember: 32,
  addrBytes: 512,
  /** Peer id / zone string bytes. */
  idBytes: 128,
  zoneBytes: 64,
  /**
   * Earlier stints a member record keeps (MemberRecord.stints). A member that rejoins more
   * often drops its oldest: that one refold is the price of a bounded record.
   */
  stints: 8
} as const
