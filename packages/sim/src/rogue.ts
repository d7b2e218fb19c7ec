/**
 * A rogue peer for runs of an admitted cluster (docs/trust.md): a process that is not
 * admitted, yet gossips records of itself with weight 1000 (no admission, one forged by a
 * non-authority, one borrowed from an honest peer, a genuine weight-1 admission stretched to
 * 1000) and answers member pulls with a flood of such records for made-up peers. It
 * models an attacker who cannot forge the authority's signature (the simulator's signer
 * can sign as anyone, so the rogue simply never signs as the authority). The checker then
 * requires that no honest peer ever took a rogue record as a member.
 *
 * With `requests`, it also sends honest peers every request type on a schedule drawn from
 * the run's seed (a shuffled deck of ATTACKS, one every ROGUE_REQUEST_MS), over the
 * workload's keys:
 * - every member-only request (replica reads and digests, replica-put and replica-put-many
 *   with forged versions, a hint for a made-up peer, anti-entropy, members-pull, the gossip
 *   rounds (members-digest, members-hashes, members-fetch of made-up record digests),
 *   coordinate-put with a planted value and a poisoned context): each must be refused with
 *   `forbidden`;
 * - the client surface: members-view, client-get, client-digest, and client-put /
 *   client-put-many with forged versions (forge.ts: poisoned counters, planted values,
 *   erasures, anonymous values; with or without a value of its own), beside honest writes
 *   and deletes of its own actor `rogue:0`.
 * Forged versions name the honest actors and counters the rogue read (`client-get`). What
 * it sent, what came back and which writes of its own it made go to `log` for the checker.
 */
import { BUCKET_DIGEST_BYTES, CHECKPOINT_HASH_BYTES, TABLE_DIGEST_BYTES, encodeAdmission, encodeRecord, newMemberRecord, nextHeartbeat, recordDigest } from '@ringstore/core'
import type { DvvSet, Key, MemberRecord, PeerId, Request, Response, SignedAdmission, SignedRecord, VersionVector } from '@ringstore/core'
import type { NetworkHandlers } from '@ringstore/peer'
import {
  FORGERIES, MADE_UP_PEER, ROGUE_ACTOR, ROGUE_ID, counterIn, effectiveContext, forge, honestEntries, ownValue, ownWrite, plantedValue
} from './forge.js'
import type { Forgery, RogueWrite } from './forge.js'
import type { SimHub, SimNetwork } from './network.js'
import type { Rng } from './rng.js'
import type { Scheduler } from './scheduler.js'
import { SimSigner } from './signer.js'

export { ROGUE_ID } from './forge.js'
/** Gossip period of the rogue, virtual ms: a few per heartbeat of the honest peers. */
const ROGUE_ANNOUNCE_MS = 150
/** Made-up peers in one pull answer. */
const ROGUE_FLOOD = 200
const ROGUE_WEIGHT = 1000
/** One request (or read-then-write) every this many virtual ms: about a hundred in a run. */
const ROGUE_REQUEST_MS = 20
const ROGUE_TIMEOUT_MS = 200

/** The request types only members may call (docs/trust.md): the rogue must get `forbidden`. */
export const MEMBER_ONLY: ReadonlySet<Request['type']> = new Set<Request['type']>([
  'replica-get', 'replica-get-many', 'replica-digest', 'replica-put', 'replica-put-many',
  'ae-roots', 'ae-nodes', 'ae-buckets', 'members-pull', 'members-digest', 'members-hashes', 'members-fetch', 'coordinate-put', 'watch-event'
])

/** Everything the rogue does on its request schedule; each run deals them all, shuffled, again and again. */
export const ATTACKS = [
  'replica-get', 'replica-get-many', 'replica-digest',
  'replica-put/poison', 'replica-put/plant', 'replica-put/erase', 'replica-put/anonymous', 'replica-put/hint-made-up',
  'replica-put-many', 'ae-roots', 'ae-nodes', 'ae-buckets', 'members-pull', 'members-digest', 'members-hashes', 'members-fetch', 'coordinate-put', 'ping',
  'members-view', 'client-get', 'client-digest', 'ring-checkpoint', 'watch-event', 'client-watch',
  'client-put/honest', 'client-put/honest', 'client-put/delete',
  'client-put/poison', 'client-put/plant-next', 'client-put/plant-seen', 'client-put/erase', 'client-put/erase-bare',
  'client-put/anonymous', 'client-put/hint', 'client-put/hint-made-up', 'client-put-many',
  // Two different values under one dot of the rogue's own, each to a different peer. An
  // honest client never reuses a dot (epochs); the merge's tie-break (core versions.ts
  // mergeEntry) makes the replicas converge on one of them all the same.
  'client-put/reuse-dot'
] as const

export const REUSE_DOT = 'client-put/reuse-dot'

export type Attack = typeof ATTACKS[number]

export interface RogueRequestOptions {
  readonly rng: Rng
  /** The workload's keys: the attacks hit real data. */
  readonly keys: readonly Key[]
  /** Partitions of the ring (for anti-entropy requests). */
  readonly q: number
  /** The honest peers to pick targets from (started at least once; a crashed one refuses). */
  readonly targets: () => readonly PeerId[]
}

/** A reply to a member-only request that was not a refusal. */
export interface AnsweredRequest {
  readonly peer: PeerId
  readonly type: Request['type']
  readonly reply: string
  readonly at: number
}

/** A version of a key an honest peer handed the rogue. */
export interface ObservedClock {
  readonly peer: PeerId
  readonly key: Key
  readonly clock: DvvSet | null
  readonly at: number
}

export interface RogueStats {
  /** Requests sent, by type. */
  readonly sent: Record<string, number>
  /** Member-only requests refused with `forbidden`, or `unavailable` (a peer not serving yet). */
  forbidden: number
  unavailable: number
  /** Requests never answered (a crashed, partitioned or lossy path). */
  unanswered: number
  /** Other requests (client surface, ping) answered, not refused. */
  served: number
  /** client-put items carrying a value or tombstone of the rogue's own (legitimate writes). */
  ownWrites: number
  /** client-put items carrying forged claims about honest actors. */
  forgedWrites: number
}

/** What the rogue did and saw, for the checker. */
export interface RogueLog {
  readonly writes: RogueWrite[]
  readonly observed: ObservedClock[]
  readonly answered: AnsweredRequest[]
  /** The rogue's own code threw (a simulator bug, reported as a violation). */
  readonly bugs: string[]
  readonly stats: RogueStats
}

export function emptyRogueLog (): RogueLog {
  return { writes: [], observed: [], answered: [], bugs: [], stats: { sent: {}, forbidden: 0, unavailable: 0, unanswered: 0, served: 0, ownWrites: 0, forgedWrites: 0 } }
}

export class RoguePeer {
  readonly #scheduler: Scheduler
  readonly #authority: PeerId
  readonly #borrow: () => SignedAdmission | undefined
  readonly #network: SimNetwork
  readonly #requests: RogueRequestOptions | undefined
  readonly log: RogueLog = emptyRogueLog()
  #record: MemberRecord
  #running = false
  #sending = false
  #turn = 0
  #deck: Attack[] = []
  /** Per key: the last counter of ROGUE_ACTOR minted (never reused, whatever a replica says). */
  readonly #ownCounters = new Map<Key, number>()
  /** Per key: the last version read. */
  readonly #lastRead = new Map<Key, DvvSet | null>()
  /** Honest actors seen in any version read: whom to lie about when a key's version is empty. */
  readonly #actorsSeen = new Set<string>()
  #values = 0
  #planted = 0

  /**
   * `borrow`: an honest peer's admission, to try passing off as the rogue's. `requests`:
   * also send requests (see the file comment); without it the rogue only gossips.
   */
  constructor (hub: SimHub, scheduler: Scheduler, authority: PeerId, borrow: () => SignedAdmission | undefined, requests?: RogueRequestOptions) {
    this.#scheduler = scheduler
    this.#authority = authority
    this.#borrow = borrow
    this.#requests = requests
    this.#network = hub.endpoint(ROGUE_ID)
    this.#record = newMemberRecord({ id: ROGUE_ID, addrs: [ROGUE_ID], weight: ROGUE_WEIGHT, zone: 'default', joinedAt: 0 })
  }

  async start (contacts: readonly PeerId[]): Promise<void> {
    const handlers: NetworkHandlers = {
      // A gossip round is answered like a pull: with the flood (members-hashes: its record
      // digests, none of which an honest peer holds, so it fetches them all).
      onRequest: async (_from, request) => {
        if (request.type === 'members-hashes') return { type: 'hashes', hashes: (await this.#flood()).map((s) => recordDigest(s.record)) }
        return request.type === 'members-pull' || request.type === 'members-digest' || request.type === 'members-fetch'
          ? { type: 'members', records: await this.#flood() }
          : { type: 'error', code: 'unavailable', message: 'rogue' }
      },
      onAnnounce: () => undefined,
      onPeerConnected: () => undefined,
      onPeerDisconnected: () => undefined
    }
    await this.#network.start(handlers)
    this.#running = true
    // Dialling makes the honest peers pull our table (the flood).
    for (const peer of contacts) void this.#network.dial(peer).catch(() => undefined)
    this.#schedule()
    if (this.#requests !== undefined) {
      this.#sending = true
      this.#scheduleRequest(this.#requests)
    }
  }

  /** No more requests (replies in flight still count); gossip goes on until `stop`. */
  stopRequests (): void {
    this.#sending = false
  }

  stop (): void {
    this.#running = false
    this.#sending = false
  }

  #schedule (): void {
    this.#scheduler.schedule(ROGUE_ANNOUNCE_MS, () => {
      if (!this.#running) return
      void this.#announce().finally(() => { this.#schedule() })
    })
  }

  async #announce (): Promise<void> {
    this.#record = nextHeartbeat(this.#record)
    this.#network.announce(await this.#signed(this.#record, this.#turn++))
  }

  /** The record, with the admission of attack number `turn` (cycling through all of them). */
  async #signed (record: MemberRecord, turn: number): Promise<SignedRecord> {
    const signature = await new SimSigner(record.id).sign(encodeRecord(record))
    const genuineButSmall = { cluster: this.#authority, peer: record.id, maxWeight: 1, zone: record.zone, issuedAt: record.joinedAt }
    const attacks: Array<SignedAdmission | undefined> = [
      undefined,
      await signedBy('impostor', { ...genuineButSmall, maxWeight: ROGUE_WEIGHT }),
      this.#borrow(),
      await signedBy(this.#authority, genuineButSmall)
    ]
    const admission = attacks[turn % attacks.length]
    return admission === undefined ? { record, signature } : { record, signature, admission }
  }

  async #flood (): Promise<SignedRecord[]> {
    const records = Array.from({ length: ROGUE_FLOOD }, (_, i) =>
      newMemberRecord({ id: `${ROGUE_ID}-${i}`, addrs: [], weight: ROGUE_WEIGHT, zone: 'default', joinedAt: 0 }))
    return await Promise.all(records.map(async (record, i) => await this.#signed(record, i)))
  }

  #scheduleRequest (options: RogueRequestOptions): void {
    this.#scheduler.schedule(ROGUE_REQUEST_MS, () => {
      if (!this.#running || !this.#sending) return
      const targets = options.targets()
      if (targets.length > 0) {
        if (this.#deck.length === 0) this.#deck = options.rng.shuffle(ATTACKS)
        const attack = this.#deck.pop() as Attack
        this.#attack(options, attack, options.rng.pick(targets), targets).catch((error: unknown) => {
          this.log.bugs.push(`${attack}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
        })
      }
      this.#scheduleRequest(options)
    })
  }

  async #attack (options: RogueRequestOptions, attack: Attack, target: PeerId, targets: readonly PeerId[]): Promise<void> {
    const { rng, keys, q } = options
    const key = rng.pick(keys)
    const now = Math.round(this.#scheduler.now)
    const read = this.#lastRead.get(key) ?? null
    switch (attack) {
      case 'replica-get': await this.#send(target, { type: 'replica-get', key }); return
      case 'replica-get-many': await this.#send(target, { type: 'replica-get-many', keys: rng.shuffle(keys).slice(0, rng.int(1, keys.length)) }); return
      case 'replica-digest': await this.#send(target, { type: 'replica-digest', key }); return
      case 'replica-put/poison': case 'replica-put/erase': case 'replica-put/anonymous': {
        const forgery = attack.slice('replica-put/'.length) as Forgery
        await this.#send(target, { type: 'replica-put', key, clock: this.#forge(read ?? { entries: [], anonymous: [] }, read, forgery, rng, now) })
        return
      }
      case 'replica-put/plant':
        await this.#send(target, { type: 'replica-put', key, clock: this.#forge(read ?? { entries: [], anonymous: [] }, read, rng.pick(['plant-next', 'plant-seen'] as const), rng, now) })
        return
      case 'replica-put/hint-made-up':
        await this.#send(target, { type: 'replica-put', key, clock: this.#forge(read ?? { entries: [], anonymous: [] }, read, 'plant-next', rng, now), hintFor: MADE_UP_PEER })
        return
      case 'replica-put-many': {
        const items = rng.shuffle(keys).slice(0, rng.int(1, 3)).map((k) => {
          const seen = this.#lastRead.get(k) ?? null
          return [k, this.#forge(seen ?? { entries: [], anonymous: [] }, seen, rng.pick(FORGERIES), rng, now)] as const
        })
        await this.#send(target, { type: 'replica-put-many', items })
        return
      }
      case 'ae-roots': await this.#send(target, { type: 'ae-roots', partitions: rng.shuffle(Array.from({ length: q }, (_, i) => i)).slice(0, rng.int(1, 8)).sort((a, b) => a - b) }); return
      case 'ae-nodes': await this.#send(target, { type: 'ae-nodes', partition: rng.int(0, q - 1), level: 0, indices: [0] }); return
      case 'ae-buckets': await this.#send(target, { type: 'ae-buckets', partition: rng.int(0, q - 1), buckets: [0] }); return
      case 'members-pull': await this.#send(target, { type: 'members-pull' }); return
      case 'members-digest': await this.#send(target, { type: 'members-digest', digest: new Uint8Array(TABLE_DIGEST_BYTES) }); return
      case 'members-hashes': await this.#send(target, { type: 'members-hashes', digest: new Uint8Array(TABLE_DIGEST_BYTES) }); return
      // Made-up record digests: a member's table must not be fetched by a non-member, even piecemeal.
      case 'members-fetch':
        await this.#send(target, { type: 'members-fetch', hashes: Array.from({ length: rng.int(1, 4) }, () => Uint8Array.from({ length: BUCKET_DIGEST_BYTES }, () => rng.int(0, 255))) })
        return
      case 'coordinate-put':
        await this.#send(target, { type: 'coordinate-put', key, value: plantedValue(this.#planted++), context: this.#poisonedContext(read, rng), n: 3, w: 1, ts: now })
        return
      case 'ping': await this.#send(target, { type: 'ping' }); return
      // A member's push to a watcher, forged: it would land in the receiver's replica.
      case 'watch-event': await this.#send(target, { type: 'watch-event', key, clock: this.#forge(read ?? { entries: [], anonymous: [] }, read, rng.pick(FORGERIES), rng, now) }); return
      case 'members-view': await this.#send(target, { type: 'members-view' }); return
      // A made-up checkpoint hash: open to clients, it must find nothing (no peer serves
      // bytes that do not hash to what was asked) and break nothing.
      case 'ring-checkpoint': await this.#send(target, { type: 'ring-checkpoint', hash: Uint8Array.from({ length: CHECKPOINT_HASH_BYTES }, () => rng.int(0, 255)) }); return
      case 'client-get': await this.#clientGet(target, key); return
      case 'client-digest': await this.#send(target, { type: 'client-digest', key }); return
      // A lease on a few keys (refused whole for a key it may not read); the members then
      // push it their new versions, which it answers 'unavailable' like every other push.
      case 'client-watch': {
        const watched = rng.shuffle(keys).slice(0, rng.int(1, 3))
        await this.#send(target, rng.chance(0.5) ? { type: 'client-watch', keys: watched, digests: true } : { type: 'client-watch', keys: watched })
        return
      }
      case 'client-put-many': {
        const items = rng.shuffle(keys).slice(0, rng.int(1, 4)).map((k) => {
          const kind = rng.pick(['honest', 'delete', ...FORGERIES, 'erase-bare'] as const)
          return [k, this.#clientVersion(k, this.#lastRead.get(k) ?? null, kind, rng, now)] as const
        })
        await this.#send(target, { type: 'client-put-many', items })
        return
      }
      case REUSE_DOT: {
        const others = targets.filter((p) => p !== target)
        if (others.length === 0) return
        const seen = (await this.#clientGet(target, key)) ?? read
        const counter = Math.max(this.#ownCounters.get(key) ?? 0, counterIn(seen, ROGUE_ACTOR)) + 1
        this.#ownCounters.set(key, counter)
        const context = effectiveContext(ownWrite(seen, counter, { value: ownValue(0), ts: now }), seen) ?? []
        const sends = [target, rng.pick(others)].map((peer) => {
          const value = ownValue(this.#values++)
          this.log.writes.push({ key, dot: [ROGUE_ACTOR, counter], value, context })
          this.log.stats.ownWrites++
          return this.#send(peer, { type: 'client-put', key, clock: ownWrite(seen, counter, { value, ts: now }) })
        })
        await Promise.all(sends)
        return
      }
      default: {
        // client-put: read the key at the target as a client would, then write over it.
        const fresh = await this.#clientGet(target, key)
        const seen = fresh === undefined ? read : fresh
        const kind = attack.slice('client-put/'.length) as ClientPutKind
        const writeKind = kind === 'hint' || kind === 'hint-made-up' ? 'honest' : kind
        const clock = this.#clientVersion(key, seen, writeKind, rng, now)
        if (kind === 'hint' || kind === 'hint-made-up') {
          const others = targets.filter((p) => p !== target)
          const hintFor = kind === 'hint-made-up' || others.length === 0 ? MADE_UP_PEER : rng.pick(others)
          await this.#send(target, { type: 'client-put', key, clock, hintFor })
          return
        }
        // Honest writes go to a few peers, as a client writes to a key's replicas.
        const to = kind === 'honest' || kind === 'delete' ? [target, ...rng.shuffle(targets.filter((p) => p !== target)).slice(0, rng.int(0, 2))] : [target]
        await Promise.all(to.map((peer) => this.#send(peer, { type: 'client-put', key, clock })))
      }
    }
  }

  /**
   * The version a client-put of `key` over `read` carries: an honest write (or delete) of
   * the rogue's own, or a forgery (with a value of its own half of the time; `erase-bare`
   * never: all claims and nothing written). Writes that carry a value of its own are logged.
   */
  #clientVersion (key: Key, read: DvvSet | null, kind: ClientWriteKind, rng: Rng, ts: number): DvvSet {
    const own = kind === 'honest' || kind === 'delete' || (kind !== 'erase-bare' && rng.chance(0.5))
    let base: DvvSet
    let counter = 0
    if (own) {
      counter = Math.max(this.#ownCounters.get(key) ?? 0, counterIn(read, ROGUE_ACTOR)) + 1
      this.#ownCounters.set(key, counter)
      base = ownWrite(read, counter, { value: kind === 'delete' ? null : ownValue(this.#values++), ts })
    } else {
      // Everything read claimed superseded, with nothing of its own: the erasure of a key.
      base = { entries: (read?.entries ?? []).map((e) => ({ ...e, values: [] })), anonymous: [] }
    }
    const clock = kind === 'honest' || kind === 'delete' || kind === 'erase-bare' ? base : this.#forge(base, read, kind, rng, ts)
    if (kind !== 'honest' && kind !== 'delete') this.log.stats.forgedWrites++
    const context = effectiveContext(clock, read)
    if (own && context !== undefined) {
      const entry = clock.entries.find((e) => e.actor === ROGUE_ACTOR)
      this.log.writes.push({ key, dot: [ROGUE_ACTOR, counter], value: entry?.values[0]?.value ?? null, context })
      this.log.stats.ownWrites++
    }
    return clock
  }

  #forge (base: DvvSet, read: DvvSet | null, forgery: Forgery, rng: Rng, ts: number): DvvSet {
    const fallback = this.#actorsSeen.size > 0 ? [...this.#actorsSeen].sort().slice(0, 3) : ['p0:1', 'p1:1']
    return forge(base, read, forgery, rng, () => plantedValue(this.#planted++), fallback, ts)
  }

  /** The honest actors of `read` (or others seen) with counters near 2^53: a poisoned context. */
  #poisonedContext (read: DvvSet | null, rng: Rng): VersionVector {
    const actors = honestEntries(read).map((e) => e.actor)
    const victims = actors.length > 0 ? actors : ([...this.#actorsSeen].sort().slice(0, 2))
    return (victims.length > 0 ? victims : ['p0:1']).map((actor) => [actor, Number.MAX_SAFE_INTEGER - rng.int(0, 8)] as const)
  }

  /** The target's version of `key` (null: none), undefined when it did not answer with one. */
  async #clientGet (target: PeerId, key: Key): Promise<DvvSet | null | undefined> {
    const response = await this.#send(target, { type: 'client-get', key })
    return response?.type === 'clock' ? response.clock : undefined
  }

  /** Send one request, log what came back; undefined when nothing did. */
  async #send (peer: PeerId, request: Request): Promise<Response | undefined> {
    const { stats } = this.log
    stats.sent[request.type] = (stats.sent[request.type] ?? 0) + 1
    let response: Response
    try {
      response = await this.#network.request(peer, request, ROGUE_TIMEOUT_MS)
    } catch {
      stats.unanswered++
      return undefined
    }
    const at = Math.round(this.#scheduler.now)
    const refused = response.type === 'error' && (response.code === 'forbidden' || response.code === 'unavailable')
    if (MEMBER_ONLY.has(request.type)) {
      if (response.type === 'error' && response.code === 'forbidden') stats.forbidden++
      else if (response.type === 'error' && response.code === 'unavailable') stats.unavailable++
      else this.log.answered.push({ peer, type: request.type, reply: describeReply(response), at })
    } else if (!refused) {
      stats.served++
    }
    for (const [key, clock] of clocksOf(request, response)) {
      this.log.observed.push({ peer, key, clock, at })
      this.#lastRead.set(key, clock)
      for (const e of honestEntries(clock)) this.#actorsSeen.add(e.actor)
    }
    return response
  }
}

type ClientWriteKind = 'honest' | 'delete' | 'erase-bare' | Forgery
type ClientPutKind = ClientWriteKind | 'hint' | 'hint-made-up'

/** The versions of keys a reply carries (client-get, and replica reads should one be answered). */
function clocksOf (request: Request, response: Response): Array<readonly [Key, DvvSet | null]> {
  if (response.type === 'clock' && (request.type === 'client-get' || request.type === 'replica-get')) return [[request.key, response.clock]]
  if (response.type === 'clocks') return [...response.items]
  return []
}

function describeReply (response: Response): string {
  return response.type === 'error' ? `error ${response.code}: ${response.message}` : response.type
}

async function signedBy (signer: PeerId, admission: SignedAdmission['admission']): Promise<SignedAdmission> {
  return { admission, signature: await new SimSigner(signer).sign(encodeAdmission(admission)) }
}
