/**
 * Member-only replication and the client surface (docs/trust.md): a caller that is not a
 * member is refused every replication protocol, and what it may do through the client
 * surface cannot forge, poison or erase what members wrote. Attacks go through the router,
 * as they would from the wire.
 */
import { describe, expect, it } from 'vitest'
import { REQUEST_TYPES, context, emptyClock, siblings, update } from '@ringstore/core'
import type { DvvSet, MemberRecord, Request, SignedRecord } from '@ringstore/core'
import type { CallerRole } from '../src/protocol/protocol.js'
import { PROTOCOLS } from '../src/protocol/router.js'
import { setup, version } from './router-harness.js'

const MEMBER_ONLY: ReadonlyArray<Request['type']> = [
  'replica-get', 'replica-get-many', 'replica-put', 'replica-put-many', 'replica-digest',
  'ae-roots', 'ae-nodes', 'ae-buckets', 'members-pull', 'members-digest', 'members-hashes', 'members-fetch', 'coordinate-put',
  // Pushed by a member to a peer that watches a key (live updates).
  'watch-event'
]
// 'ring-checkpoint': a tab, like a newcomer, folds its ring from the checkpoint the members agreed on.
const CLIENT_SURFACE: ReadonlyArray<Request['type']> = ['members-view', 'client-get', 'client-digest', 'client-put', 'client-put-many', 'client-watch', 'ring-checkpoint']

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (clock: DvvSet | null): string[] =>
  clock === null ? [] : siblings(clock).map((s) => s.value === null ? '<tombstone>' : new TextDecoder().decode(s.value)).sort()
const counterOf = (clock: DvvSet | null, actor: string): number => clock?.entries.find((e) => e.actor === actor)?.counter ?? 0

/** Keys a client may write (core's key-rights.ts): capabilities. */
const K = 'cap/keyKkeyKkeyKkeyKkeyKkeyK'
const K2 = 'cap/key2key2key2key2key2key2'
const K3 = 'cap/key3key3key3key3key3key3'
const H = 'cap/hinthinthinthinthinthint'

/** Who is who: two members (`m`, `p2`), the tab `tab` and a stranger, both clients. */
const ROLES = new Map<string, CallerRole>([['m', 'member'], ['p2', 'member']])
const roleOf = (peer: string): CallerRole => ROLES.get(peer) ?? 'client'

/** A router whose replica holds `k` as written by member `a` (actor `a:0`). */
async function replicaWithValue (records: SignedRecord[] = []) {
  const t = await setup(undefined, roleOf, PROTOCOLS, records)
  const original = version('from a member', 'a:0')
  await t.replicas.merge(K, original)
  return { ...t, original }
}

/** One request of every member-only type, each aimed at `k`'s data where it has any. */
function memberOnlyRequests (clock: DvvSet): Request[] {
  return [
    { type: 'replica-get', key: K },
    { type: 'replica-get-many', keys: [K] },
    { type: 'replica-put', key: K, clock },
    { type: 'replica-put-many', items: [[K, clock]] },
    { type: 'replica-digest', key: K },
    { type: 'ae-roots', partitions: [0, 1, 2] },
    { type: 'ae-nodes', partition: 0, level: 0, indices: [0] },
    { type: 'ae-buckets', partition: 0, buckets: [0] },
    { type: 'members-pull' },
    { type: 'coordinate-put', key: K, value: bytes('forged'), context: [['a:0', 2 ** 53 - 2]], n: 3, w: 1, ts: 1 }
  ]
}

describe('who may call what', () => {
  it('every replication protocol is for members, the client surface for clients, ping for anyone', () => {
    const declared = new Map([...PROTOCOLS].map(([type, protocol]) => [type, protocol.callers]))
    expect([...MEMBER_ONLY, ...CLIENT_SURFACE, 'ping'].sort()).toEqual([...REQUEST_TYPES].sort())
    for (const type of MEMBER_ONLY) expect(declared.get(type)).toBe('member')
    for (const type of CLIENT_SURFACE) expect(declared.get(type)).toBe('client')
    expect(declared.get('ping')).toBe('any')
  })

  it('a client sending each replication request is refused, counted, and changes nothing', async () => {
    const t = await replicaWithValue()
    // An erasing clock: claims every dot of a:0 seen and superseded, with nothing in its place.
    const erase: DvvSet = { entries: [{ actor: 'a:0', counter: 2 ** 53 - 2, values: [], ts: 1 }], anonymous: [] }
    const requests = memberOnlyRequests(erase)
    for (const request of requests) {
      expect(await t.handle('tab', request), request.type).toMatchObject({ type: 'error', code: 'forbidden' })
    }
    expect(t.metrics.forbiddenRequests).toBe(requests.length)
    expect(await t.replicas.get(K)).toEqual(t.original)
    expect(t.hints.pending()).toBe(0)
    expect(t.minted).toEqual([])
    // The same erasing put from a member is served (members are trusted with the protocol).
    expect(await t.handle('m', { type: 'replica-put', key: K, clock: erase })).toEqual({ type: 'clock', clock: null })
    expect(text(await t.replicas.get(K))).toEqual([])
  })
})

describe('client-put', () => {
  it('stores a client\'s own write, superseding what it read', async () => {
    const t = await replicaWithValue()
    const written = update(t.original, context(t.original), { value: bytes('from the tab'), ts: 2 }, 'tab:0')
    expect(await t.handle('tab', { type: 'client-put', key: K, clock: written })).toEqual({ type: 'clock', clock: null })
    expect(text(await t.replicas.get(K))).toEqual(['from the tab'])
  })

  it('a forged clock can neither poison a member\'s counter, nor plant a member\'s value, nor erase without writing', async () => {
    const t = await replicaWithValue()
    const forgeries: DvvSet[] = [
      // A member's counter pushed to the edge, with a value of the tab's own.
      { entries: [{ actor: 'a:0', counter: 2 ** 53 - 2, values: [], ts: 1 }, { actor: 'tab:0', counter: 1, values: [{ value: bytes('mine'), ts: 1 }], ts: 1 }], anonymous: [] },
      // A value under a member's dot.
      { entries: [{ actor: 'a:0', counter: 2, values: [{ value: bytes('planted'), ts: 1 }], ts: 1 }], anonymous: [{ value: bytes('anonymous'), ts: 1 }] },
      // Erasure: every dot of a:0 claimed seen and superseded, nothing written.
      { entries: [{ actor: 'a:0', counter: 1, values: [], ts: 1 }], anonymous: [] },
      // The same, dressed with a value of another tab's actor.
      { entries: [{ actor: 'a:0', counter: 1, values: [], ts: 1 }, { actor: 'tabby:0', counter: 1, values: [{ value: bytes('not mine'), ts: 1 }], ts: 1 }], anonymous: [] }
    ]
    for (const clock of forgeries) {
      expect(await t.handle('tab', { type: 'client-put', key: K, clock })).toEqual({ type: 'clock', clock: null })
    }
    const stored = await t.replicas.get(K)
    expect(counterOf(stored, 'a:0')).toBe(1)
    // The member's value stands; only the tab's own value joined it (as a sibling: the
    // poisoned claim about a:0 was dropped, not taken as "seen").
    expect(text(stored)).toEqual(['from a member', 'mine'])
    // A member writing the key afterwards mints normally (no overflow).
    const next = update(stored ?? emptyClock(), context(stored ?? emptyClock()), { value: bytes('later'), ts: 3 }, 'a:0')
    expect(counterOf(next, 'a:0')).toBe(2)
  })

  it('client-put-many takes each item as client-put does', async () => {
    const t = await replicaWithValue()
    const mine = update(emptyClock(), [], { value: bytes('offline write'), ts: 1 }, 'tab:3')
    const poison: DvvSet = { entries: [{ actor: 'a:0', counter: 2 ** 53 - 2, values: [{ value: bytes('x'), ts: 1 }], ts: 1 }], anonymous: [] }
    expect(await t.handle('tab', { type: 'client-put-many', items: [[K, poison], [K2, mine], [K3, poison]] })).toEqual({ type: 'ok' })
    expect(await t.replicas.get(K)).toEqual(t.original)
    expect(text(await t.replicas.get(K2))).toEqual(['offline write'])
    expect(await t.replicas.get(K3)).toBeNull()
  })
})

describe('hints are kept only for members', () => {
  it('a hint for a peer that is not a member is refused, from a member or a client', async () => {
    const t = await replicaWithValue()
    const clock = version('parked', 'm:0')
    const own = version('parked', 'tab:0')
    expect(await t.handle('m', { type: 'replica-put', key: H, clock, hintFor: 'nobody' })).toMatchObject({ type: 'error', code: 'bad-request' })
    expect(await t.handle('tab', { type: 'client-put', key: H, clock: own, hintFor: 'nobody' })).toMatchObject({ type: 'error', code: 'bad-request' })
    expect(t.hints.pending()).toBe(0)
  })

  it('a client\'s hint for a member keeps the client\'s own entries only', async () => {
    const t = await replicaWithValue()
    const read = version('seen', 'a:0')
    const written = update(read, context(read), { value: bytes('for p2'), ts: 2 }, 'tab:0')
    expect(await t.handle('tab', { type: 'client-put', key: H, clock: written, hintFor: 'p2' })).toEqual({ type: 'clock', clock: null })
    expect(t.hints.targets()).toEqual(['p2'])
    const [[key, hinted] = ['', emptyClock()]] = await t.hints.batch('p2', 10)
    expect(key).toBe(H)
    expect(hinted.entries.map((e) => e.actor)).toEqual(['tab:0'])
    expect(text(hinted)).toEqual(['for p2'])
  })
})

describe('members-view', () => {
  const record = (id: string, weight: number): SignedRecord => ({
    record: { id, addrs: [], weight, zone: '', status: 'active', incarnation: 0, heartbeat: 0, joinedAt: 1 } as MemberRecord,
    signature: Uint8Array.of(1)
  })

  it('gives a client the members\' records, not other clients\'', async () => {
    const t = await replicaWithValue([record('m', 1), record('p2', 4), record('tab', 0)])
    const reply = await t.handle('tab', { type: 'members-view' })
    expect(reply.type === 'members' && reply.records.map((s) => s.record.id)).toEqual(['m', 'p2'])
    expect(await t.handle('tab', { type: 'members-pull' })).toMatchObject({ type: 'error', code: 'forbidden' })
  })
})

describe('per-key rights on the client surface (core key-rights.ts)', () => {
  const own = (value: string, actor = 'tab:0'): DvvSet => version(value, actor)

  it('refuses a client every route to a key it has no right to, writes nothing and counts it', async () => {
    const t = await replicaWithValue()
    const plain = 'orders/42'
    await t.replicas.merge(plain, t.original)
    await t.replicas.merge('pub/prices', t.original)
    await t.replicas.merge('~m/profile', t.original)
    const refused: Array<[string, Request]> = [
      ['read a members-only key', { type: 'client-get', key: plain }],
      ['digest a members-only key', { type: 'client-digest', key: plain }],
      ['write a members-only key', { type: 'client-put', key: plain, clock: own('mine') }],
      ['leave a hint for a members-only key', { type: 'client-put', key: plain, clock: own('mine'), hintFor: 'p2' }],
      ['write a public key', { type: 'client-put', key: 'pub/prices', clock: own('cheap') }],
      ['write another owner\'s key', { type: 'client-put', key: '~m/profile', clock: own('defaced') }],
      ['write under a guessable capability', { type: 'client-put', key: 'cap/short/cart', clock: own('mine') }],
      ['slip one forbidden key into a batch', { type: 'client-put-many', items: [[K2, own('fine')], [plain, own('mine')]] }]
    ]
    for (const [what, request] of refused) {
      const reply = await t.handle('tab', request)
      expect([what, reply]).toMatchObject([what, { type: 'error', code: 'forbidden' }])
    }
    expect(t.metrics.forbiddenRequests).toBe(refused.length)
    for (const key of [plain, 'pub/prices', '~m/profile']) expect(await t.replicas.get(key)).toEqual(t.original)
    // All or nothing: the batch's allowed key was not written either.
    expect(await t.replicas.get(K2)).toBeNull()
    expect(t.hints.targets()).toEqual([])
  })

  it('lets a client read public and owner keys, write its own and capability keys, and a member anything', async () => {
    const t = await replicaWithValue()
    await t.replicas.merge('pub/prices', t.original)
    await t.replicas.merge('~m/profile', t.original)
    expect(await t.handle('tab', { type: 'client-get', key: 'pub/prices' })).toEqual({ type: 'clock', clock: t.original })
    expect(await t.handle('tab', { type: 'client-get', key: '~m/profile' })).toEqual({ type: 'clock', clock: t.original })
    expect(await t.handle('tab', { type: 'client-put', key: '~tab/settings', clock: own('dark mode') })).toEqual({ type: 'clock', clock: null })
    expect(await t.handle('tab', { type: 'client-put', key: K, clock: own('shared cart') })).toEqual({ type: 'clock', clock: null })
    expect(text(await t.replicas.get('~tab/settings'))).toEqual(['dark mode'])
    // A member (here through the client surface) is not bound by the clients' rules.
    expect(await t.handle('m', { type: 'client-put', key: 'orders/42', clock: own('by a member', 'm:0') })).toEqual({ type: 'clock', clock: null })
    expect(text(await t.replicas.get('orders/42'))).toEqual(['by a member'])
    expect(t.metrics.forbiddenRequests).toBe(0)
  })
})

describe('a client\'s writes meet the write bounds', () => {
  const ownValues = (count: number, size: number): DvvSet => ({
    entries: [{ actor: 'tab:0', counter: count, values: Array.from({ length: count }, (_, i) => ({ value: new Uint8Array(size).fill(i), ts: i + 1 })), ts: count }],
    anonymous: []
  })

  it('refuses a contribution that would grow a key past 64 siblings or 4 MiB of values, by any client route, storing nothing', async () => {
    const t = await replicaWithValue()
    const tooMany = ownValues(65, 8)
    const tooLarge = ownValues(5, 1024 * 1024 - 64)
    expect(await t.handle('tab', { type: 'client-put', key: K2, clock: tooMany })).toMatchObject({ type: 'error', code: 'bad-request' })
    expect(await t.handle('tab', { type: 'client-put', key: K2, clock: tooLarge })).toMatchObject({ type: 'error', code: 'too-large' })
    expect(await t.handle('tab', { type: 'client-put', key: H, clock: tooLarge, hintFor: 'p2' })).toMatchObject({ type: 'error', code: 'too-large' })
    expect(await t.handle('tab', { type: 'client-put-many', items: [[K3, ownValues(1, 8)], [K2, tooMany]] })).toMatchObject({ type: 'error', code: 'bad-request' })
    expect(await t.replicas.get(K2)).toBeNull()
    expect(await t.replicas.get(K3)).toBeNull()
    expect(t.hints.targets()).toEqual([])
    // Within the bounds it is taken.
    expect(await t.handle('tab', { type: 'client-put', key: K2, clock: ownValues(64, 8) })).toEqual({ type: 'clock', clock: null })
  })
})
