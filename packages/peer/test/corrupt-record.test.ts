/**
 * A replica's stored record of a key fails its checksum (bit rot, flipped behind the
 * engine's back in its MemoryStorage). The get path must never turn that copy into "no
 * such key": the corrupt replica counts as failed for R, the answer comes from the others
 * (or is CorruptReplicaError when they are too few), the detection is counted, and read
 * repair or anti-entropy overwrite the corrupt record with the others' version.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { clockEqual, siblings } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import { CorruptReplicaError } from '../src/errors.js'
import { dataKey } from '../src/data/storage-keys.js'
import type { Peer } from '../src/peer.js'
import type { TestCluster } from './cluster-helpers.js'
import { bytes, primariesOf, startCluster, text } from './cluster-helpers.js'

const IDS = ['p1', 'p2', 'p3', 'p4', 'p5']
let cluster: TestCluster | undefined

afterEach(async () => {
  await cluster?.stopAll()
  cluster = undefined
})

/** A key written to all three primaries; returns them and the version written. */
async function written (key: Key): Promise<{ c: TestCluster, primaries: PeerId[], version: DvvSet }> {
  const c = await startCluster(IDS)
  cluster = c
  const primaries = [...primariesOf(c.peer('p1'), key)]
  await c.peer(primaries[0] as PeerId).put(key, bytes('good'), { w: 3 })
  const version = await c.peer(primaries[0] as PeerId).localGet(key) as DvvSet
  return { c, primaries, version }
}

/** Flips one bit of the value inside `id`'s sealed record of `key` (the CRC then fails). */
async function flipBit (c: TestCluster, id: PeerId, key: Key): Promise<void> {
  const storage = c.storages.get(id)
  const raw = await storage?.get('data', dataKey(key))
  if (storage === undefined || raw === undefined) throw new Error(`${id} holds no record of ${key}`)
  const copy = new Uint8Array(raw)
  copy[copy.length - 2] = (copy[copy.length - 2] as number) ^ 0x04
  await storage.write([{ ns: 'data', key: dataKey(key), value: copy }])
}

async function holdsGood (peer: Peer, key: Key, version: DvvSet): Promise<boolean> {
  const local = await peer.localGet(key).catch(() => null)
  return local !== null && clockEqual(local, version)
}

describe('a corrupt copy of a key on one of three replicas', () => {
  it('its own coordinator answers from the other two (never a 404), counts it, and read repair restores it', async () => {
    const key = 'cart:rot-self'
    const { c, primaries, version } = await written(key)
    const victim = primaries[1] as PeerId
    await flipBit(c, victim, key)

    // R=1: before, the coordinator's own (corrupt → "absent") copy alone made a 404.
    const one = await c.peer(victim).get(key, { r: 1 })
    expect(one.found).toBe(true)
    expect(one.values.map(text)).toEqual(['good'])
    const two = await c.peer(victim).get(key)
    expect(two.values.map(text)).toEqual(['good'])
    expect(c.peer(victim).metrics.corruptRecords).toBeGreaterThan(0)

    await c.clock.advance(300)
    expect(await holdsGood(c.peer(victim), key, version)).toBe(true)
    expect(c.peer(victim).metrics.readRepairs).toBeGreaterThan(0)
  })

  it('another coordinator is told "corrupt" by the replica (not "absent") and repairs it', async () => {
    const key = 'cart:rot-remote'
    const { c, primaries, version } = await written(key)
    const [reader, victim] = primaries as [PeerId, PeerId, PeerId]
    await flipBit(c, victim, key)
    // The restart rebuilds the victim's Merkle tree from its storage: its leaf is marked
    // corrupt, so the reader's digest read differs and asks for the version.
    const restarted = await c.restart(victim)

    const before = c.hub.sent.length
    const read = await c.peer(reader).get(key, { r: 3 }).catch((e: unknown) => e)
    expect(read).toBeInstanceOf(CorruptReplicaError)
    expect(read).toMatchObject({ name: 'CorruptReplicaError', op: 'get', acks: 2, required: 3, corrupt: 1 })
    // The digest differed, so the version was asked for; the answer was an error, not "none".
    const asked = c.hub.sent.slice(before).filter((m) => m.from === reader && m.to === victim).map((m) => m.type)
    expect(asked).toContain('replica-get')
    expect(c.peer(reader).metrics.quorumFailures.get).toBe(1)

    await c.clock.advance(300)
    expect(await holdsGood(restarted, key, version)).toBe(true)
    const again = await c.peer(reader).get(key, { r: 3 })
    expect(again.values.map(text)).toEqual(['good'])
  })

  it('when the others cannot make R, the answer is CorruptReplicaError, never "not found"', async () => {
    const key = 'cart:rot-alone'
    const { c, primaries } = await written(key)
    const victim = primaries[2] as PeerId
    await flipBit(c, victim, key)
    c.hub.isolate(victim)
    const error = await c.peer(victim).get(key, { r: 1 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'CorruptReplicaError', acks: 0, required: 1, corrupt: 1 })
  })

  it('anti-entropy finds the corrupt leaf and overwrites the record with the good version', async () => {
    const key = 'cart:rot-ae'
    const { c, primaries, version } = await written(key)
    const victim = primaries[2] as PeerId
    await flipBit(c, victim, key)
    const restarted = await c.restart(victim)
    expect(await restarted.localGet(key).catch((e: unknown) => e)).toMatchObject({ name: 'CorruptRecordError' })

    const round = await restarted.runAntiEntropyRound()
    expect(round.keysRepaired).toBeGreaterThan(0)
    const repaired = await restarted.localGet(key)
    expect(repaired === null ? [] : siblings(repaired).map((s) => text(s.value as Uint8Array))).toEqual(['good'])
    expect(await holdsGood(restarted, key, version)).toBe(true)
  })
})
