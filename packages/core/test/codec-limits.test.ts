/**
 * Every bound the codec enforces (one test per limit) and every structural rejection.
 * Bad input is built as raw wire values (layouts in src/codec-*.ts) and encoded with cborg
 * directly, since the codec's own encoders refuse it.
 */
import { describe, it, expect } from 'vitest'
import { encode as cbor } from 'cborg'
import {
  CODEC_LIMITS, decodeAnnouncement, decodeClock, decodeContext, decodeFrame, decodeRecord, decodeRequest,
  decodeResponse, encodeAnnouncement, encodeClock, encodeContext, encodeFrame, encodeRecord, encodeRequest, encodeResponse
} from '../src/codec.js'
import { CodecError, InvalidKeyError } from '../src/errors.js'
import type { DvvSet, MemberRecord } from '../src/types.js'
import { LIMITS } from '../src/types.js'
import { InvalidClockError } from '../src/versions.js'

/** Asserts that `fn` throws a CodecError whose field is `field`; returns the error. */
function rejects (fn: () => unknown, field: string): CodecError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(CodecError)
  expect((caught as CodecError).field).toBe(field)
  return caught as CodecError
}

const bytesOf = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill)
const sib = (value: Uint8Array | null, ts = 0): unknown[] => [value, ts]
const entryWire = (actor: string, counter: number, values: unknown[] = [], ts = 0): unknown[] => [actor, counter, values, ts]
const clockWire = (entries: unknown[] = [], anonymous: unknown[] = []): unknown[] => [entries, anonymous]
const actors = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${String(i).padStart(4, '0')}`)
const recordWire = (over: Record<number, unknown> = {}): unknown[] => {
  const w: unknown[] = [1, 'peer-1', ['/ip4/127.0.0.1/tcp/4001'], 1, 'z1', 0, 1, 2, 3, null]
  for (const [i, v] of Object.entries(over)) w[Number(i)] = v
  return w
}
const record: MemberRecord = { id: 'peer-1', addrs: ['/ip4/127.0.0.1/tcp/4001'], weight: 1, zone: 'z1', status: 'active', incarnation: 1, heartbeat: 2, joinedAt: 3 }
const signedWire = (over: Record<number, unknown> = {}, signature: Uint8Array = bytesOf(64)): unknown[] => [recordWire(over), signature]

describe('size limits (one per limit)', () => {
  it('frameBytes: oversized input is refused before parsing, oversized messages are not encoded', () => {
    const garbage = bytesOf(LIMITS.frameBytes + 1, 0xff)
    for (const decode of [decodeFrame, decodeRequest, decodeResponse]) {
      expect(() => decode(garbage)).toThrow(/exceeds the limit/)
    }
    const big = (i: number): DvvSet => ({ entries: [{ actor: 'a', counter: 1, values: [{ value: bytesOf(LIMITS.valueBytes, i), ts: 0 }], ts: 0 }], anonymous: [] })
    const items = Array.from({ length: 9 }, (_, i) => [`k${i}`, big(i)] as const)
    rejects(() => encodeFrame({ kind: 'request', id: 1, request: { type: 'replica-put-many', items } }), 'frame')
    const raw = cbor([0, 1, [3, items.map(([k, c]) => [k, clockWire([entryWire('a', 1, [sib(c.entries[0]!.values[0]!.value)])])])]])
    expect(raw.length).toBeGreaterThan(LIMITS.frameBytes)
    expect(() => decodeFrame(raw)).toThrow(/exceeds the limit/)
    expect(decodeFrame(encodeFrame({ kind: 'request', id: 1, request: { type: 'replica-put-many', items: items.slice(0, 7) } }))).toBeDefined()
  })

  it('keyBytes: keys up to the limit in UTF-8 bytes', () => {
    expect(decodeRequest(cbor([0, 'é'.repeat(LIMITS.keyBytes / 2)]))).toBeDefined()
    const err = rejects(() => decodeRequest(cbor([0, 'é'.repeat(LIMITS.keyBytes / 2) + 'a'])), 'request.key')
    expect(err.cause).toBeInstanceOf(InvalidKeyError)
    rejects(() => encodeRequest({ type: 'replica-get', key: 'a'.repeat(LIMITS.keyBytes + 1) }), 'request.key')
    rejects(() => decodeRequest(cbor([0, ''])), 'request.key')
    rejects(() => decodeRequest(cbor([0, 'a\u0000b'])), 'request.key')
    rejects(() => decodeResponse(cbor([4, [['ok', bytesOf(16)], ['', bytesOf(16)]]])), 'response.entries[1].key')
  })

  it('valueBytes: values up to LIMITS.valueBytes', () => {
    const put = (value: Uint8Array): unknown[] => [7, 'k', value, [], 3, 2, 0]
    expect(decodeRequest(cbor(put(bytesOf(LIMITS.valueBytes))))).toBeDefined()
    rejects(() => decodeRequest(cbor(put(bytesOf(LIMITS.valueBytes + 1)))), 'request.value')
    rejects(() => decodeClock(cbor(clockWire([entryWire('a', 1, [sib(bytesOf(LIMITS.valueBytes + 1))])]))), 'clock.entries[0].values[0].value')
  })

  // The write bounds (LIMITS.siblings, siblingBytes) are checked where a dot is minted, not
  // here: a merge may hold more than a write may mint, up to the storage bound.
  it('storedSiblings: at most LIMITS.storedSiblings values per clock, across entries and anonymous', () => {
    const max = LIMITS.storedSiblings
    const values = (n: number): unknown[] => Array.from({ length: n }, (_, i) => sib(null, i))
    expect(decodeClock(cbor(clockWire([entryWire('a', LIMITS.siblings + 1, values(LIMITS.siblings + 1))])))).toBeDefined()
    expect(decodeClock(cbor(clockWire([entryWire('a', max, values(max))])))).toBeDefined()
    rejects(() => decodeClock(cbor(clockWire([entryWire('a', max + 1, values(max + 1))]))), 'clock.entries[0].values')
    rejects(() => decodeClock(cbor(clockWire([entryWire('a', max - 10, values(max - 10)), entryWire('b', 11, values(11))]))), 'clock')
    rejects(() => decodeClock(cbor(clockWire([entryWire('a', max, values(max))], [sib(null, 1)]))), 'clock')
  })

  it('storedClockEntries: at most LIMITS.storedClockEntries actors in a clock or a context', () => {
    const max = LIMITS.storedClockEntries
    const entries = (n: number): unknown[] => actors(n).map((a) => entryWire(a, 1))
    expect(decodeClock(cbor(clockWire(entries(max))))).toBeDefined()
    rejects(() => decodeClock(cbor(clockWire(entries(max + 1)))), 'clock.entries')
    expect(decodeContext(cbor(actors(max).map((a) => [a, 1])))).toHaveLength(max)
    rejects(() => decodeContext(cbor(actors(max + 1).map((a) => [a, 1]))), 'context')
    rejects(() => encodeContext(actors(max + 1).map((a) => [a, 1])), 'context')
  })

  it('batchKeys: keys and items per batch', () => {
    const keys = (n: number): string[] => actors(n)
    expect(decodeRequest(cbor([1, keys(LIMITS.batchKeys)]))).toBeDefined()
    rejects(() => decodeRequest(cbor([1, keys(LIMITS.batchKeys + 1)])), 'request.keys')
    rejects(() => decodeRequest(cbor([3, keys(LIMITS.batchKeys + 1).map((k) => [k, clockWire()])])), 'request.items')
    rejects(() => decodeResponse(cbor([2, keys(LIMITS.batchKeys + 1).map((k) => [k, null])])), 'response.items')
    rejects(() => encodeRequest({ type: 'replica-get-many', keys: keys(LIMITS.batchKeys + 1) }), 'request.keys')
  })

  it('members: at most LIMITS.members signed records in a table', () => {
    const table = (n: number): Uint8Array => cbor([5, Array.from({ length: n }, () => signedWire())])
    expect(decodeResponse(table(LIMITS.members))).toMatchObject({ type: 'members' })
    rejects(() => decodeResponse(table(LIMITS.members + 1)), 'response.records')
  })

  it('addrsPerMember and addrBytes', () => {
    const addrs = (n: number, len = 10): string[] => Array.from({ length: n }, () => 'a'.repeat(len))
    expect(decodeRecord(cbor(recordWire({ 2: addrs(LIMITS.addrsPerMember, LIMITS.addrBytes) })))).toBeDefined()
    rejects(() => decodeRecord(cbor(recordWire({ 2: addrs(LIMITS.addrsPerMember + 1) }))), 'record.addrs')
    rejects(() => decodeRecord(cbor(recordWire({ 2: ['ok', 'a'.repeat(LIMITS.addrBytes + 1)] }))), 'record.addrs[1]')
    rejects(() => decodeRecord(cbor(recordWire({ 2: [''] }))), 'record.addrs[0]')
  })

  it('idBytes: member ids, actors and hintFor', () => {
    const long = 'i'.repeat(LIMITS.idBytes + 1)
    expect(decodeRecord(cbor(recordWire({ 1: 'i'.repeat(LIMITS.idBytes) })))).toBeDefined()
    rejects(() => decodeRecord(cbor(recordWire({ 1: long }))), 'record.id')
    rejects(() => decodeRecord(cbor(recordWire({ 1: '' }))), 'record.id')
    rejects(() => decodeClock(cbor(clockWire([entryWire(long, 1)]))), 'clock.entries[0].actor')
    rejects(() => decodeContext(cbor([[long, 1]])), 'context[0].actor')
    rejects(() => decodeRequest(cbor([2, 'k', clockWire(), long])), 'request.hintFor')
  })

  it('zoneBytes', () => {
    expect(decodeRecord(cbor(recordWire({ 4: 'z'.repeat(LIMITS.zoneBytes) })))).toBeDefined()
    rejects(() => decodeRecord(cbor(recordWire({ 4: 'z'.repeat(LIMITS.zoneBytes + 1) }))), 'record.zone')
  })

  it('signature bytes: 1..CODEC_LIMITS.signatureBytes', () => {
    const announce = (sig: Uint8Array): Uint8Array => cbor([1, signedWire({}, sig)])
    expect(decodeAnnouncement(announce(bytesOf(CODEC_LIMITS.signatureBytes)))).toBeDefined()
    rejects(() => decodeAnnouncement(announce(bytesOf(CODEC_LIMITS.signatureBytes + 1))), 'announcement.signed.signature')
    rejects(() => decodeAnnouncement(announce(new Uint8Array(0))), 'announcement.signed.signature')
    rejects(() => encodeAnnouncement({ signed: { record, signature: new Uint8Array(0) } }), 'announcement.signed.signature')
  })

  it('anti-entropy item counts: hashes, indices, buckets, entries', () => {
    const n = CODEC_LIMITS.treeItems
    const ints = (k: number): number[] => Array.from({ length: k }, (_, i) => i % 1000)
    expect(decodeRequest(cbor([4, 0, 2, ints(n)]))).toBeDefined()
    rejects(() => decodeRequest(cbor([4, 0, 2, ints(n + 1)])), 'request.indices')
    rejects(() => decodeRequest(cbor([5, 0, ints(n + 1)])), 'request.buckets')
    expect(decodeRequest(cbor([9, ints(n)]))).toBeDefined()
    rejects(() => decodeRequest(cbor([9, ints(n + 1)])), 'request.partitions')
    rejects(() => encodeRequest({ type: 'ae-roots', partitions: ints(n + 1) }), 'request.partitions')
    const hash = bytesOf(16)
    rejects(() => decodeResponse(cbor([3, Array.from({ length: n + 1 }, () => hash)])), 'response.hashes')
    rejects(() => decodeResponse(cbor([4, Array.from({ length: n + 1 }, () => ['k', hash])])), 'response.entries')
  })

  it('hash and digest bytes: 1..CODEC_LIMITS.hashBytes', () => {
    expect(decodeResponse(cbor([3, [bytesOf(CODEC_LIMITS.hashBytes)]]))).toBeDefined()
    rejects(() => decodeResponse(cbor([3, [bytesOf(16), bytesOf(CODEC_LIMITS.hashBytes + 1)]])), 'response.hashes[1]')
    rejects(() => decodeResponse(cbor([3, [new Uint8Array(0)]])), 'response.hashes[0]')
    rejects(() => decodeResponse(cbor([4, [['k', bytesOf(CODEC_LIMITS.hashBytes + 1)]]])), 'response.entries[0].digest')
  })

  it('partition < 2^20', () => {
    expect(decodeRequest(cbor([5, 2 ** 20 - 1, []]))).toBeDefined()
    rejects(() => decodeRequest(cbor([5, 2 ** 20, []])), 'request.partition')
    rejects(() => decodeRequest(cbor([4, -1, 0, []])), 'request.partition')
    expect(decodeRequest(cbor([9, [2 ** 20 - 1]]))).toBeDefined()
    rejects(() => decodeRequest(cbor([9, [0, 2 ** 20]])), 'request.partitions[1]')
    rejects(() => decodeRequest(cbor([9, [-1]])), 'request.partitions[0]')
    rejects(() => decodeRequest(cbor([9, [1.5]])), 'request.partitions[0]')
    rejects(() => decodeRequest(cbor([9, ['1']])), 'request.partitions[0]')
  })

  it('level ≤ 8', () => {
    expect(decodeRequest(cbor([4, 0, 8, []]))).toBeDefined()
    rejects(() => decodeRequest(cbor([4, 0, 9, []])), 'request.level')
  })

  it('tree indices ≤ CODEC_LIMITS.treeIndex', () => {
    expect(decodeRequest(cbor([4, 0, 4, [CODEC_LIMITS.treeIndex]]))).toBeDefined()
    rejects(() => decodeRequest(cbor([4, 0, 4, [1, CODEC_LIMITS.treeIndex + 1]])), 'request.indices[1]')
    rejects(() => decodeRequest(cbor([5, 0, [-1]])), 'request.buckets[0]')
  })

  it('error message ≤ 1 KiB of UTF-8', () => {
    expect(decodeResponse(cbor([8, 4, 'é'.repeat(512)]))).toBeDefined()
    rejects(() => decodeResponse(cbor([8, 4, 'é'.repeat(512) + '!'])), 'response.message')
    rejects(() => encodeResponse({ type: 'error', code: 'internal', message: 'x'.repeat(1025) }), 'response.message')
  })

  it('n, w, acks and required', () => {
    const put = (n: number, w: number): Uint8Array => cbor([7, 'k', null, [], n, w, 0])
    expect(decodeRequest(put(CODEC_LIMITS.replicas, CODEC_LIMITS.replicas))).toBeDefined()
    rejects(() => decodeRequest(put(0, 0)), 'request.n')
    rejects(() => decodeRequest(put(CODEC_LIMITS.replicas + 1, 1)), 'request.n')
    rejects(() => decodeRequest(put(3, 0)), 'request.w')
    rejects(() => decodeRequest(put(3, 4)), 'request.w')
    rejects(() => decodeResponse(cbor([6, [], CODEC_LIMITS.replicas + 1])), 'response.acks')
    rejects(() => decodeResponse(cbor([7, 1, 0])), 'response.required')
  })

  it('request ids are non-negative safe integers', () => {
    expect(decodeFrame(cbor([0, Number.MAX_SAFE_INTEGER, [6]]))).toMatchObject({ id: Number.MAX_SAFE_INTEGER })
    rejects(() => decodeFrame(cbor([0, -1, [6]])), 'frame.id')
    rejects(() => decodeFrame(cbor([0, 1.5, [6]])), 'frame.id')
    rejects(() => decodeFrame(cbor([0, '1', [6]])), 'frame.id')
    // 2^53 is outside the safe range: cborg refuses it (no bigint) while parsing.
    expect(() => decodeFrame(Uint8Array.from([0x83, 0x00, 0x1b, 0, 0x20, 0, 0, 0, 0, 0, 0, 0x81, 0x06]))).toThrow(CodecError)
  })

  it('numbers: counters ≥ 1, times ≥ 0, weight within the ring bound', () => {
    rejects(() => decodeClock(cbor(clockWire([entryWire('a', 0)]))), 'clock.entries[0].counter')
    rejects(() => decodeClock(cbor(clockWire([entryWire('a', 1.5)]))), 'clock.entries[0].counter')
    rejects(() => decodeClock(cbor(clockWire([entryWire('a', 1, [], -1)]))), 'clock.entries[0].ts')
    rejects(() => decodeClock(cbor(clockWire([], [sib(null, -0.5)]))), 'clock.anonymous[0].ts')
    rejects(() => decodeContext(cbor([['a', 0]])), 'context[0].counter')
    rejects(() => decodeRecord(cbor(recordWire({ 3: 2 ** 20 + 1 }))), 'record.weight')
    rejects(() => decodeRecord(cbor(recordWire({ 3: -1 }))), 'record.weight')
    rejects(() => decodeRecord(cbor(recordWire({ 6: -1 }))), 'record.incarnation')
    rejects(() => decodeRecord(cbor(recordWire({ 8: 1.5 }))), 'record.joinedAt')
  })
})

describe('structural rejections', () => {
  it('unknown type tags and formats', () => {
    rejects(() => decodeRequest(cbor([22])), 'request.type')
    rejects(() => decodeRequest(cbor(['replica-get', 'k'])), 'request.type')
    rejects(() => decodeResponse(cbor([10])), 'response.type')
    // Ring checkpoints (issue 13) took the next tags: request 19, response 9.
    expect(decodeRequest(cbor([19, new Uint8Array(32)]))).toEqual({ type: 'ring-checkpoint', hash: new Uint8Array(32) })
    rejects(() => decodeRequest(cbor([19, new Uint8Array(31)])), 'request.hash')
    rejects(() => decodeRequest(cbor([19])), 'request')
    // Gossip rounds that move only the records that differ took request tags 20 and 21.
    expect(decodeRequest(cbor([20, new Uint8Array(512)]))).toEqual({ type: 'members-hashes', digest: new Uint8Array(512) })
    rejects(() => decodeRequest(cbor([20, new Uint8Array(8)])), 'request.digest')
    expect(decodeRequest(cbor([21, [new Uint8Array(8)]]))).toEqual({ type: 'members-fetch', hashes: [new Uint8Array(8)] })
    rejects(() => decodeRequest(cbor([21, [new Uint8Array(9)]])), 'request.hashes[0]')
    rejects(() => decodeRequest(cbor([21, []])), 'request.hashes')
    rejects(() => decodeRequest(cbor([21, Array.from({ length: 4097 }, () => new Uint8Array(8))])), 'request.hashes')
    expect(decodeResponse(cbor([9, new Uint8Array([1, 2])]))).toEqual({ type: 'checkpoint', bytes: new Uint8Array([1, 2]) })
    rejects(() => decodeResponse(cbor([9, new Uint8Array(0)])), 'response.bytes')
    rejects(() => decodeFrame(cbor([2, 1, [0]])), 'frame.kind')
    // Error codes are numbered by position (codec-messages.ts ERROR_CODES), each appended:
    // every earlier code keeps its number. 7 ('corrupt') is the last one.
    expect(decodeResponse(cbor([8, 5, 'x']))).toEqual({ type: 'error', code: 'forbidden', message: 'x' })
    expect(decodeResponse(cbor([8, 6, 'x']))).toEqual({ type: 'error', code: 'over-quota', message: 'x' })
    expect(decodeResponse(cbor([8, 7, 'x']))).toEqual({ type: 'error', code: 'corrupt', message: 'x' })
    rejects(() => decodeResponse(cbor([8, 8, 'x'])), 'response.code')
    rejects(() => decodeRecord(cbor(recordWire({ 5: 3 }))), 'record.status')
    rejects(() => decodeRecord(cbor(recordWire({ 0: 2 }))), 'record.format')
    rejects(() => decodeAnnouncement(cbor([3, signedWire()])), 'announcement.format')
    rejects(() => encodeRequest({ type: 'replica-gets', key: 'k' } as never), 'request.type')
  })

  it('ping is tag 8 with no fields; a ping with a body is refused', () => {
    expect(decodeRequest(cbor([8]))).toEqual({ type: 'ping' })
    rejects(() => decodeRequest(cbor([8, 0])), 'request')
    rejects(() => decodeRequest(cbor([8, null])), 'request')
  })

  it('ae-roots is tag 9 with one list of partitions', () => {
    expect(decodeRequest(cbor([9, [0, 5, 2 ** 20 - 1]]))).toEqual({ type: 'ae-roots', partitions: [0, 5, 2 ** 20 - 1] })
    expect(decodeRequest(cbor([9, []]))).toEqual({ type: 'ae-roots', partitions: [] })
    expect(encodeRequest({ type: 'ae-roots', partitions: [3, 1] })).toEqual(cbor([9, [3, 1]]))
    rejects(() => decodeRequest(cbor([9])), 'request')
    rejects(() => decodeRequest(cbor([9, [1], [2]])), 'request')
    rejects(() => decodeRequest(cbor([9, 1])), 'request.partitions')
    rejects(() => decodeRequest(cbor([9, null])), 'request.partitions')
  })

  it('replica-digest is tag 10 with one key; answered by hashes with zero or one digest', () => {
    expect(decodeRequest(cbor([10, 'cart:1']))).toEqual({ type: 'replica-digest', key: 'cart:1' })
    expect(encodeRequest({ type: 'replica-digest', key: 'k' })).toEqual(cbor([10, 'k']))
    rejects(() => decodeRequest(cbor([10])), 'request')
    rejects(() => decodeRequest(cbor([10, 'k', 'l'])), 'request')
    rejects(() => decodeRequest(cbor([10, 7])), 'request.key')
    rejects(() => decodeRequest(cbor([10, ''])), 'request.key')
    const digest = new Uint8Array(16).fill(7)
    expect(decodeResponse(encodeResponse({ type: 'hashes', hashes: [digest] }))).toEqual({ type: 'hashes', hashes: [digest] })
    expect(decodeResponse(encodeResponse({ type: 'hashes', hashes: [] }))).toEqual({ type: 'hashes', hashes: [] })
  })

  it('wrong field counts', () => {
    rejects(() => decodeRequest(cbor([0])), 'request')
    // replica-get takes one optional trailing field (the part cursor), client-get none.
    rejects(() => decodeRequest(cbor([0, 'k', '', 'extra'])), 'request')
    rejects(() => decodeRequest(cbor([12, 'k', 'extra'])), 'request')
    rejects(() => decodeResponse(cbor([1, null, 'a', 'extra'])), 'response')
    rejects(() => decodeRequest(cbor([6, null])), 'request')
    rejects(() => decodeResponse(cbor([])), 'response')
    rejects(() => decodeFrame(cbor([0, 1])), 'frame')
    rejects(() => decodeClock(cbor([[]])), 'clock')
    rejects(() => decodeClock(cbor(clockWire([['a', 1, []]]))), 'clock.entries[0]')
    rejects(() => decodeRecord(cbor(recordWire().slice(0, 9))), 'record')
  })

  it('names the offending field path through nesting', () => {
    const clock = clockWire([entryWire('a', 1), entryWire('b', 1), entryWire('c', 0)])
    rejects(() => decodeRequest(cbor([2, 'k', clock, null])), 'request.clock.entries[2].counter')
    rejects(() => decodeFrame(cbor([0, 9, [3, [['k', clockWire()], ['k2', clock]]]])), 'frame.request.items[1].clock.entries[2].counter')
    rejects(() => decodeFrame(cbor([1, 9, [5, [signedWire(), signedWire({ 4: 7 })]]])), 'frame.response.records[1].record.zone')
  })

  it('actors must be sorted and unique; values within the counter; anonymous canonical', () => {
    rejects(() => decodeClock(cbor(clockWire([entryWire('b', 1), entryWire('a', 1)]))), 'clock.entries[1].actor')
    rejects(() => decodeClock(cbor(clockWire([entryWire('a', 1), entryWire('a', 2)]))), 'clock.entries[1].actor')
    rejects(() => decodeContext(cbor([['b', 1], ['a', 1]])), 'context[1].actor')
    rejects(() => decodeClock(cbor(clockWire([entryWire('a', 1, [sib(null), sib(null)])]))), 'clock.entries[0].values')
    // versions.ts keeps anonymous siblings sorted by (ts, bytes) and unique.
    const err = rejects(() => decodeClock(cbor(clockWire([], [sib(null, 2), sib(null, 1)]))), 'clock')
    expect(err.cause).toBeInstanceOf(InvalidClockError)
    rejects(() => encodeClock({ entries: [], anonymous: [{ value: null, ts: 1 }, { value: null, ts: 1 }] }), 'clock')
  })

  it('leftAt is null exactly when the member is active', () => {
    rejects(() => decodeRecord(cbor(recordWire({ 9: 5 }))), 'record.leftAt')
    rejects(() => decodeRecord(cbor(recordWire({ 5: 2 }))), 'record.leftAt')
    expect(decodeRecord(cbor(recordWire({ 5: 1, 9: 5 })))).toMatchObject({ status: 'leaving', leftAt: 5 })
    rejects(() => encodeRecord({ ...record, leftAt: 5 }), 'record.leftAt')
  })

  it('earlier stints: a trailing field only when there are some, in order, before the join, at most LIMITS.stints', () => {
    // A record without stints is the ten fields older peers read, byte for byte.
    expect(encodeRecord(record)).toEqual(cbor(recordWire()))
    const stint = [0, 1, 1, 'z1']
    expect(decodeRecord(cbor([...recordWire(), [stint]]))).toEqual({ ...record, stints: [{ joinedAt: 0, leftAt: 1, weight: 1, zone: 'z1' }] })
    expect(encodeRecord({ ...record, stints: [] })).toEqual(cbor(recordWire()))
    rejects(() => decodeRecord(cbor([...recordWire(), []])), 'record.stints')
    rejects(() => decodeRecord(cbor([...recordWire(), [[0, 3, 1, 'z1']]])), 'record.stints[0]') // ends at the join
    rejects(() => decodeRecord(cbor([...recordWire(), [[1, 0, 1, 'z1']]])), 'record.stints[0]') // ends before it began
    rejects(() => decodeRecord(cbor([...recordWire({ 8: 100 }), [[0, 5, 1, 'z1'], [5, 6, 1, 'z1']]])), 'record.stints[1]') // overlaps
    const many = Array.from({ length: LIMITS.stints + 1 }, (_, i) => [2 * i, 2 * i, 1, 'z1'])
    rejects(() => decodeRecord(cbor([...recordWire({ 8: 100 }), many])), 'record.stints')
    expect(decodeRecord(cbor([...recordWire({ 8: 100 }), many.slice(1)])).stints).toHaveLength(LIMITS.stints)
  })

  it('non-canonical or non-strict CBOR', () => {
    const cases: Array<[string, number[]]> = [
      ['non-minimal integer', [0x82, 0x00, 0x18, 0x01]],
      ['float-encoded integer id', [0x83, 0x00, 0xf9, 0x3c, 0x00, 0x81, 0x06]],
      ['indefinite-length array', [0x9f, 0x00, 0x01, 0x81, 0x06, 0xff]],
      ['tag', [0xc0, 0x83, 0x00, 0x01, 0x81, 0x06]],
      ['undefined', [0x83, 0x00, 0xf7, 0x81, 0x06]],
      ['trailing bytes', [0x83, 0x00, 0x01, 0x81, 0x06, 0x00]],
      ['map instead of array', [0xa1, 0x61, 0x61, 0x00]],
      ['true instead of an integer', [0x83, 0x00, 0xf5, 0x81, 0x06]],
      ['NaN', [0x83, 0x00, 0xf9, 0x7e, 0x00, 0x81, 0x06]],
      ['empty input', []]
    ]
    expect(decodeFrame(Uint8Array.from([0x83, 0x00, 0x01, 0x81, 0x06]))).toEqual({ kind: 'request', id: 1, request: { type: 'members-pull' } })
    for (const [name, bytes] of cases) expect(() => decodeFrame(Uint8Array.from(bytes)), name).toThrow(CodecError)
  })

  it('a float must be in the one encoding cborg writes for its value', () => {
    // The clock [[], [[null, ts]]]: one anonymous tombstone whose ts is the float under test.
    const clockWithTs = (ts: number[]): Uint8Array => Uint8Array.from([0x82, 0x80, 0x81, 0x82, 0xf6, ...ts])
    const accepted: Array<[string, number[], number]> = [
      ['1.5 as float16', [0xf9, 0x3e, 0x00], 1.5],
      ['0.1 as float64', [0xfb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a], 0.1]
    ]
    for (const [name, ts, value] of accepted) expect(decodeClock(clockWithTs(ts)).anonymous[0]?.ts, name).toBe(value)
    const refused: Array<[string, number[]]> = [
      ['1.5 as float32', [0xfa, 0x3f, 0xc0, 0x00, 0x00]],
      ['1.5 as float64', [0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]],
      ['integral float 1.0', [0xf9, 0x3c, 0x00]],
      ['negative zero', [0xf9, 0x80, 0x00]]
    ]
    for (const [name, ts] of refused) expect(() => decodeClock(clockWithTs(ts)), name).toThrow(CodecError)
    // A map anywhere is refused, whatever its key order.
    expect(() => decodeFrame(Uint8Array.from([0x83, 0x00, 0x01, 0x82, 0x06, 0xa0]))).toThrow(CodecError)
  })

  it('text must be valid UTF-8; a leading U+FEFF survives', () => {
    rejects(() => decodeRequest(Uint8Array.from([0x82, 0x00, 0x62, 0x61, 0xff])), 'request')
    rejects(() => decodeRequest(Uint8Array.from([0x82, 0x00, 0x63, 0xed, 0xa0, 0x80])), 'request') // encoded surrogate
    const key = '\uFEFFkey'
    expect(decodeRequest(encodeRequest({ type: 'replica-get', key }))).toEqual({ type: 'replica-get', key })
  })

  it('every decoder throws only CodecError for non-bytes and absurd nesting', () => {
    const decoders = [decodeFrame, decodeRequest, decodeResponse, decodeClock, decodeContext, decodeRecord, decodeAnnouncement]
    const deep = bytesOf(1_000_000, 0x81)
    for (const decode of decoders) {
      for (const input of [null, undefined, 'bytes', [1, 2], new ArrayBuffer(4), deep]) {
        expect(() => decode(input as Uint8Array)).toThrow(CodecError)
      }
    }
  })

  it('a Node Buffer decodes, and decoded bytes do not alias the input', () => {
    const bytes = encodeRequest({ type: 'coordinate-put', key: 'k', value: Uint8Array.from([1, 2, 3]), context: [], n: 3, w: 2, ts: 0 })
    const input = Buffer.from(bytes)
    const decoded = decodeRequest(input)
    input.fill(0)
    expect(decoded).toMatchObject({ value: Uint8Array.from([1, 2, 3]) })
    expect(Buffer.isBuffer((decoded as { value: Uint8Array }).value)).toBe(false)
  })
})
