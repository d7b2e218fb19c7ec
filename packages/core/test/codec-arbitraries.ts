/**
 * fast-check arbitraries of valid codec inputs (clocks, contexts, records, requests,
 * responses, frames) for the codec tests. Strings use the full Unicode range.
 */
import fc from 'fast-check'
import type { Announcement, Frame, Request, Response, SignedRecord } from '../src/messages.js'
import type { DvvEntry, DvvSet, MemberRecord, Sibling, VersionVector } from '../src/types.js'
import type { SignedRemoval } from '../src/removal.js'
import { compareSiblings } from '../src/versions-siblings.js'
import { TABLE_DIGEST_BYTES } from '../src/membership-digest.js'

const byActor = (a: { actor: string }, b: { actor: string }): number => (a.actor < b.actor ? -1 : a.actor > b.actor ? 1 : 0)

/** Any code point but U+0000 (keys refuse NUL), including astral ones. */
export const arbKey = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).filter((s) => !s.includes('\u0000'))
export const arbPeerId = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 })
/** Wall-clock ms: integers, and fractions as a simulated clock may produce. */
export const arbTime = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.double({ min: 0, max: 2 ** 50, noNaN: true }).map((t) => t === 0 ? 0 : t))
export const arbBytes = fc.uint8Array({ maxLength: 48 })

export const arbSibling: fc.Arbitrary<Sibling> = fc.record({ value: fc.option(arbBytes, { nil: null }), ts: arbTime })

const arbEntry: fc.Arbitrary<DvvEntry> = fc.record({
  actor: arbPeerId,
  values: fc.array(arbSibling, { maxLength: 3 }),
  extra: fc.nat(1000),
  ts: arbTime
}).map(({ actor, values, extra, ts }) => ({ actor, counter: values.length + extra + (values.length === 0 ? 1 : 0), values, ts }))

/** Anonymous siblings kept in versions.ts's canonical order (sorted, unique). */
const arbAnonymous = fc.array(arbSibling, { maxLength: 3 }).map((list) => {
  const sorted = [...list].sort(compareSiblings)
  return sorted.filter((s, i) => i === 0 || compareSiblings(sorted[i - 1]!, s) !== 0)
})

export const arbClock: fc.Arbitrary<DvvSet> = fc.record({
  entries: fc.uniqueArray(arbEntry, { maxLength: 5, selector: (e) => e.actor }).map((es) => [...es].sort(byActor)),
  anonymous: arbAnonymous
})

export const arbContext: fc.Arbitrary<VersionVector> = fc
  .uniqueArray(fc.tuple(arbPeerId, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), { maxLength: 6, selector: ([a]) => a })
  .map((vv) => [...vv].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

export const arbRecord: fc.Arbitrary<MemberRecord> = fc.record({
  id: arbPeerId,
  addrs: fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), { maxLength: 3 }),
  weight: fc.oneof(fc.nat(1000), fc.double({ min: 0, max: 2 ** 20, noNaN: true }).map((w) => w === 0 ? 0 : w)),
  zone: fc.string({ unit: 'binary', maxLength: 12 }),
  status: fc.constantFrom('active' as const, 'leaving' as const, 'left' as const),
  incarnation: fc.nat(),
  heartbeat: fc.maxSafeNat(),
  joinedAt: fc.nat(),
  leftAt: fc.nat(),
  // Earlier stints as gaps between times: each begins after the one before ended.
  stints: fc.array(fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 3 }),
  checkpoint: fc.option(fc.record({ cut: fc.maxSafeNat(), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }), { nil: undefined })
}).map(({ leftAt, stints: gaps, checkpoint, ...rest }) => {
  const r = checkpoint === undefined ? rest : { ...rest, checkpoint }
  let t = -1
  const stints = gaps.map(([gap, length, weight, zone]) => {
    const joinedAt = t + 1 + gap
    t = joinedAt + length
    return { joinedAt, leftAt: t, weight, zone }
  })
  const withStints = stints.length === 0 ? r : { ...r, joinedAt: t + 1 + r.joinedAt, stints }
  return withStints.status === 'active' ? withStints : { ...withStints, leftAt }
})

export const arbSigned: fc.Arbitrary<SignedRecord> = fc.record({ record: arbRecord, signature: fc.uint8Array({ minLength: 1, maxLength: 80 }) })
export const arbRemoval: fc.Arbitrary<SignedRemoval> = fc.record({
  removal: fc.record({ cluster: arbPeerId, peer: arbPeerId, removedAt: fc.maxSafeNat() }),
  signature: fc.uint8Array({ minLength: 1, maxLength: 80 })
})
export const arbAnnouncement: fc.Arbitrary<Announcement> = fc.oneof(
  arbSigned.map((signed) => ({ signed })),
  arbRemoval.map((removal) => ({ removal }))
)

const arbIndex = fc.nat(65_535)

export const arbRequest: fc.Arbitrary<Request> = fc.oneof(
  fc.record({ type: fc.constant('replica-get' as const), key: arbKey }),
  fc.record({ type: fc.constant('replica-get' as const), key: arbKey, after: fc.oneof(fc.constant(''), arbPeerId) }),
  fc.record({ type: fc.constant('replica-get-many' as const), keys: fc.array(arbKey, { maxLength: 5 }) }),
  fc.record({ type: fc.constant('replica-put' as const), key: arbKey, clock: arbClock }),
  fc.record({ type: fc.constant('replica-put' as const), key: arbKey, clock: arbClock, hintFor: arbPeerId }),
  fc.record({ type: fc.constant('replica-put-many' as const), items: fc.array(fc.tuple(arbKey, arbClock), { maxLength: 3 }) }),
  fc.record({
    type: fc.constant('ae-nodes' as const), partition: fc.nat(2 ** 20 - 1), level: fc.nat(8), indices: fc.array(arbIndex, { maxLength: 16 })
  }),
  fc.record({ type: fc.constant('ae-buckets' as const), partition: fc.nat(2 ** 20 - 1), buckets: fc.array(arbIndex, { maxLength: 16 }) }),
  fc.constant({ type: 'members-pull' as const }),
  fc.constant({ type: 'ping' as const }),
  fc.record({ type: fc.constant('ae-roots' as const), partitions: fc.array(fc.nat(2 ** 20 - 1), { maxLength: 16 }) }),
  fc.record({ type: fc.constant('replica-digest' as const), key: arbKey }),
  fc.constant({ type: 'members-view' as const }),
  fc.record({ type: fc.constant('client-get' as const), key: arbKey }),
  fc.record({ type: fc.constant('client-digest' as const), key: arbKey }),
  fc.record({ type: fc.constant('client-put' as const), key: arbKey, clock: arbClock }),
  fc.record({ type: fc.constant('client-put' as const), key: arbKey, clock: arbClock, hintFor: arbPeerId }),
  fc.record({ type: fc.constant('client-put-many' as const), items: fc.array(fc.tuple(arbKey, arbClock), { maxLength: 3 }) }),
  fc.record({ type: fc.constant('client-watch' as const), keys: fc.array(arbKey, { maxLength: 3 }), digests: fc.constant(true as const) }, { requiredKeys: ['type', 'keys'] }),
  fc.record({ type: fc.constant('watch-event' as const), key: arbKey, clock: arbClock }),
  fc.record({ type: fc.constant('members-digest' as const), digest: fc.uint8Array({ minLength: TABLE_DIGEST_BYTES, maxLength: TABLE_DIGEST_BYTES }) }),
  fc.record({ type: fc.constant('ring-checkpoint' as const), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
  fc.record({ type: fc.constant('members-hashes' as const), digest: fc.uint8Array({ minLength: TABLE_DIGEST_BYTES, maxLength: TABLE_DIGEST_BYTES }) }),
  fc.record({ type: fc.constant('members-fetch' as const), hashes: fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 4 }) }),
  fc.integer({ min: 1, max: 64 }).chain((n) => fc.record({
    type: fc.constant('coordinate-put' as const),
    key: arbKey,
    value: fc.option(arbBytes, { nil: null }),
    context: arbContext,
    n: fc.constant(n),
    w: fc.integer({ min: 1, max: n }),
    ts: arbTime,
    silent: fc.array(arbPeerId, { minLength: 1, maxLength: 3 })
  }, { requiredKeys: ['type', 'key', 'value', 'context', 'n', 'w', 'ts'] }))
)

const arbHash = fc.uint8Array({ minLength: 1, maxLength: 64 })

export const arbResponse: fc.Arbitrary<Response> = fc.oneof(
  fc.constant({ type: 'ok' as const }),
  fc.record({ type: fc.constant('clock' as const), clock: fc.option(arbClock, { nil: null }) }),
  fc.record({ type: fc.constant('clock' as const), clock: arbClock, next: arbPeerId }),
  fc.record({ type: fc.constant('clocks' as const), items: fc.array(fc.tuple(arbKey, fc.option(arbClock, { nil: null })), { maxLength: 3 }) }),
  fc.record({ type: fc.constant('hashes' as const), hashes: fc.array(arbHash, { maxLength: 8 }) }),
  fc.record({ type: fc.constant('entries' as const), entries: fc.array(fc.tuple(arbKey, arbHash), { maxLength: 8 }) }),
  fc.record({ type: fc.constant('members' as const), records: fc.array(arbSigned, { maxLength: 3 }) }),
  fc.record({ type: fc.constant('members' as const), records: fc.array(arbSigned, { maxLength: 3 }), removals: fc.array(arbRemoval, { minLength: 1, maxLength: 3 }) }),
  fc.record({ type: fc.constant('put-result' as const), context: arbContext, acks: fc.nat(64) }),
  fc.record({ type: fc.constant('quorum-failed' as const), acks: fc.nat(64), required: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ type: fc.constant('checkpoint' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({
    type: fc.constant('error' as const),
    code: fc.constantFrom('bad-request' as const, 'too-large' as const, 'unavailable' as const, 'not-owner' as const, 'internal' as const, 'forbidden' as const),
    message: fc.string({ unit: 'binary', maxLength: 100 })
  })
)

export const arbFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ kind: fc.constant('request' as const), id: fc.maxSafeNat(), request: arbRequest }),
  fc.record({ kind: fc.constant('response' as const), id: fc.maxSafeNat(), response: arbResponse })
)
