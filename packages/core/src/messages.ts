/**
 * Every message the peers exchange. Plain data; `codec.ts` turns them into CBOR frames
 * and validates every field on the way back. Protocol ids live with the network adapters
 * (`/ringstore/<name>/1.0.0`); these bodies are what travels inside them.
 */
import type { SignedAdmission } from './admission.js'
import type { SignedRemoval } from './removal.js'
import type { DvvSet, Key, MemberRecord, PeerId, VersionVector } from './types.js'

/**
 * A member record with its author's signature over `encodeRecord(record)`, and the
 * operator's admission of its author to the cluster (docs/trust.md) when it has one. A
 * cluster that requires admission takes no record as a member without a valid one.
 */
export interface SignedRecord {
  readonly record: MemberRecord
  readonly signature: Uint8Array
  readonly admission?: SignedAdmission
}

export type Request =
  /**
   * Read the local replica of one key. → `clock`. A version too large for one reply frame is
   * refused 'too-large'; with `after` the replica answers one part of it instead (core's
   * versions-split.ts): its entries of actors after `after` ('' = from the first, with the
   * anonymous values) that fit a frame, and in `next` the cursor to ask with for the rest
   * (absent on the last part). Merging the parts gives the version. Older peers refuse
   * `after` ('bad-request').
   */
  | { readonly type: 'replica-get'; readonly key: Key; readonly after?: string }
  /** Read several local replicas (anti-entropy, tombstone GC). → `clocks` */
  | { readonly type: 'replica-get-many'; readonly keys: readonly Key[] }
  /**
   * Merge `clock` into the local replica of `key` (DVV sync) and answer after it is durable.
   * With `hintFor`, the receiver is a sloppy-quorum fallback: it keeps the version in its
   * hint store for that peer instead of its data. → `clock` once durable (senders only
   * need the ack: peers answer `clock: null` rather than the merged result, and a sender
   * must not rely on either)
   */
  | { readonly type: 'replica-put'; readonly key: Key; readonly clock: DvvSet; readonly hintFor?: PeerId }
  /** Merge many versions (hint delivery in bulk, anti-entropy push, ownership transfer). → `ok` */
  | { readonly type: 'replica-put-many'; readonly items: ReadonlyArray<readonly [Key, DvvSet]> }
  /** Hashes of Merkle-tree nodes of one partition at one level (level 0 = root). → `hashes` */
  | { readonly type: 'ae-nodes'; readonly partition: number; readonly level: number; readonly indices: readonly number[] }
  /** The `[key, digest]` entries of some leaf buckets of one partition. → `entries` */
  | { readonly type: 'ae-buckets'; readonly partition: number; readonly buckets: readonly number[] }
  /** The sender's full membership table (pull on connect). → `members` */
  | { readonly type: 'members-pull' }
  /**
   * Coordinate a put/delete (`value: null`) on a replica of the key. Sent by a peer that is
   * not itself a replica: only a peer holding the key's own-actor history may mint a dot
   * (see peer/src/data/actor-epoch.ts). → `put-result`
   */
  | {
    readonly type: 'coordinate-put'
    readonly key: Key
    /** null = delete (a tombstone). */
    readonly value: Uint8Array | null
    readonly context: VersionVector
    readonly n: number
    readonly w: number
    /** Wall-clock time of the write (the sibling's ts). */
    readonly ts: number
    /**
     * Primaries the forwarder found silent (asked first, no answer even to a ping): the
     * coordinator places this put as if they were unreachable, rather than spending one
     * more request timeout on each before a fallback stands in. Absent when none; never empty.
     */
    readonly silent?: readonly PeerId[]
  }
  /**
   * Are you there? The cheapest liveness check (no body, nothing read or written): a
   * forwarding peer asks it of a coordinator that is slow to answer, to tell a paused or
   * cut-off peer from a busy one. → `ok` (any reply, even an error, proves liveness)
   */
  | { readonly type: 'ping' }
  /**
   * The Merkle root of each of `partitions`, in the order asked: an idle anti-entropy round
   * costs one request per chunk of partitions instead of one per partition, and only the
   * partitions whose roots differ are walked with `ae-nodes`. A partition the receiver holds
   * no key of answers the empty tree's root (all zero). At most CODEC_LIMITS.treeItems
   * partitions. → `hashes` (older peers answer `error` 'bad-request': walk them instead)
   */
  | { readonly type: 'ae-roots'; readonly partitions: readonly number[] }
  /**
   * The digest of the local replica of one key (what its Merkle leaf holds: the first
   * bytes of sha256 of the encoded clock), not the version itself: a coordinator that
   * holds the key compares it with its own and fetches the version (`replica-get`) only
   * from a replica that differs, instead of every replica sending its whole value on every
   * read (Cassandra's digest reads). → `hashes` with one digest, or none when the replica
   * holds no version (older peers answer `error` 'bad-request': ask them `replica-get`)
   */
  | { readonly type: 'replica-digest'; readonly key: Key }
  /**
   * The client surface (docs/trust.md): what a client (a browser tab: not an admitted
   * member) may ask of a member, each the counterpart of a member-only request above.
   *
   * The members that own partitions, with their signatures, so a client computes
   * preference lists itself (the paper's client-driven coordination). → `members`
   */
  | { readonly type: 'members-view' }
  /** One key's version at this replica, as `replica-get`. → `clock` */
  | { readonly type: 'client-get'; readonly key: Key }
  /** The digest of one key's version at this replica, as `replica-digest`. → `hashes` */
  | { readonly type: 'client-digest'; readonly key: Key }
  /**
   * A client's own write of one key, as `replica-put`, but the member takes from `clock`
   * only what the client may contribute (core/src/versions-client.ts): its own dots, and
   * claims about other actors only as far as this replica can check them. → `clock` (null)
   */
  | { readonly type: 'client-put'; readonly key: Key; readonly clock: DvvSet; readonly hintFor?: PeerId }
  /** Many client writes (a tab delivering its hints), each as `client-put`. → `ok` */
  | { readonly type: 'client-put-many'; readonly items: ReadonlyArray<readonly [Key, DvvSet]> }
  /**
   * Live updates: the keys the caller watches at this member, all of them (an empty list
   * ends its watch here). A lease: renewed before it expires, or forgotten. → `ok`
   */
  /**
   * `digests`: answer `entries`, the member's digest of each of those keys it stores, so the
   * watcher can fetch what it missed (a push lost on the way); absent: answer `ok`.
   */
  | { readonly type: 'client-watch'; readonly keys: readonly Key[]; readonly digests?: true }
  /** A member's new version of a key the receiver watches (member → watcher). → `ok` */
  | { readonly type: 'watch-event'; readonly key: Key; readonly clock: DvvSet }
  /**
   * A gossip round (peer's cluster/membership.ts): the sender's table digest
   * (membership-digest.ts). → `ok` when the receiver's table has the same digest, else
   * `members` as `members-pull` answers (older peers answer `error` 'bad-request': pull them).
   */
  | { readonly type: 'members-digest'; readonly digest: Uint8Array }
  /**
   * The ring checkpoint named by `hash` (core ring-checkpoint.ts; MemberRecord.checkpoint):
   * a peer whose table lacks the records a checkpoint let the members drop (a newcomer, a
   * tab, a member restored from an old backup) asks a member for it (peer's
   * cluster/membership-checkpoints.ts). → `checkpoint`, its canonical bytes, which the
   * asker hashes before use (older peers answer `error` 'bad-request'; a peer that does
   * not hold it answers `error` 'unavailable')
   */
  | { readonly type: 'ring-checkpoint'; readonly hash: Uint8Array }
  /**
   * A gossip round that moves only the records that differ (peer's cluster/membership.ts):
   * the sender's table digest, as `members-digest`. → `ok` when the receiver's table has
   * the same digest, else `hashes`: the record digests (membership-digest.ts recordDigest,
   * BUCKET_DIGEST_BYTES each) of the receiver's records in the buckets that differ, for the
   * sender to ask for those it lacks with `members-fetch` (older peers answer `error`
   * 'bad-request': ask them `members-digest`).
   */
  | { readonly type: 'members-hashes'; readonly digest: Uint8Array }
  /**
   * The receiver's records whose record digests are `hashes` (a `members-hashes` answer's).
   * → `members`: those it still holds (a record that changed meanwhile is left out), with
   * the operator's removals it holds.
   */
  | { readonly type: 'members-fetch'; readonly hashes: readonly Uint8Array[] }

/**
 * Why a request was refused. 'forbidden': the caller's role (member, client, outsider) may
 * not call this request type (each protocol declares who may; peer/src/protocol/).
 * 'over-quota': a hint the receiver would have to keep passes its hint quota
 * (peer/src/data/hint-store.ts); the write was not kept there.
 * 'corrupt': the replica's stored record of the key failed its checksum; it holds an
 * unknown version, not "none" (peer/src/data/replica-store.ts), and needs a repair.
 */
export type ErrorCode = 'bad-request' | 'too-large' | 'unavailable' | 'not-owner' | 'internal' | 'forbidden' | 'over-quota' | 'corrupt'

export type Response =
  | { readonly type: 'ok' }
  /** `next`: only in answer to a `replica-get` with `after`, when more parts follow (see there). */
  | { readonly type: 'clock'; readonly clock: DvvSet | null; readonly next?: string }
  | { readonly type: 'clocks'; readonly items: ReadonlyArray<readonly [Key, DvvSet | null]> }
  | { readonly type: 'hashes'; readonly hashes: readonly Uint8Array[] }
  | { readonly type: 'entries'; readonly entries: ReadonlyArray<readonly [Key, Uint8Array]> }
  /** `removals`: the operator's removals of members this peer holds (absent when none). */
  | { readonly type: 'members'; readonly records: readonly SignedRecord[]; readonly removals?: readonly SignedRemoval[] }
  /** A coordinated put succeeded with `acks` ≥ w; `context` covers the new version. */
  | { readonly type: 'put-result'; readonly context: VersionVector; readonly acks: number }
  /** A coordinated put reached fewer than `required` replicas. */
  | { readonly type: 'quorum-failed'; readonly acks: number; readonly required: number }
  /** Wire failures are replies, not exceptions thrown across the network. */
  | { readonly type: 'error'; readonly code: ErrorCode; readonly message: string }
  /** A ring checkpoint's canonical bytes (core codec-checkpoint.ts), answering `ring-checkpoint`. */
  | { readonly type: 'checkpoint'; readonly bytes: Uint8Array }

/**
 * One frame on a long-lived per-peer stream: a request or a response, matched by `id`
 * (chosen by the requester, unique among its requests in flight on that stream).
 */
export type Frame =
  | { readonly kind: 'request'; readonly id: number; readonly request: Request }
  | { readonly kind: 'response'; readonly id: number; readonly response: Response }

/**
 * A gossip announcement on the cluster's membership topic: a member's own record, or the
 * operator's removal of a member (removal.ts). Persisted member records are the first kind.
 */
export type Announcement =
  | { readonly signed: SignedRecord }
  | { readonly removal: SignedRemoval }
