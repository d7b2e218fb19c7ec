/**
 * What the rogue peer (rogue.ts) writes, and how the checker recognises it. Pure: no
 * network, no scheduler, the randomness handed in.
 *
 * Two kinds of value:
 * - **planted** values start with PLANTED_MARKER. The rogue puts them where only an honest
 *   actor may (under an honest actor's dot, as anonymous values, as the value of a
 *   `coordinate-put` an honest coordinator would mint): none may ever be read from, or be
 *   stored by, an honest peer. The marker is not UTF-8, so no workload value starts with it.
 * - **own** values (`rogue:<n>`) are written under the rogue's own actor `rogue:0` through
 *   the client surface: legitimate client writes. They may appear anywhere; the checker
 *   knows them (`RogueWrite`) so it counts them neither as phantom values nor as lost.
 *
 * Forged versions are built from a version the rogue read (`client-get`), so that they
 * name real honest actors and counters. Every claim a forged version makes about an honest
 * actor is either about dots the rogue has seen (a counter no larger than the one it read)
 * or far beyond anything minted (≥ FORGED_COUNTER_FLOOR): `effectiveContext` relies on it.
 */
import { context as contextOf, emptyClock, sync, update } from '@ringstore/core'
import type { DvvEntry, DvvSet, Key, Sibling, VersionVector } from '@ringstore/core'
import type { Dot } from './history.js'
import type { Rng } from './rng.js'

export const ROGUE_ID = 'rogue'
/** The rogue's own actor: it may mint dots of `rogue:<epoch>` (docs/trust.md, "The client surface"). */
export const ROGUE_ACTOR = `${ROGUE_ID}:0`
/** A peer id no member has: hints for it must be refused. */
export const MADE_UP_PEER = 'made-up-peer'
/** Forged counters start here: far above anything a run mints (a few hundred writes). */
export const FORGED_COUNTER_FLOOR = 2 ** 40

/** `\xff\0RG!`: the start of every planted value (not valid UTF-8, unlike every workload value). */
export const PLANTED_MARKER = Uint8Array.of(0xff, 0x00, 0x52, 0x47, 0x21)

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function plantedValue (n: number): Uint8Array {
  const tail = encoder.encode(`planted:${n}`)
  const out = new Uint8Array(PLANTED_MARKER.length + tail.length)
  out.set(PLANTED_MARKER)
  out.set(tail, PLANTED_MARKER.length)
  return out
}

export function isPlanted (value: Uint8Array | null): boolean {
  return value !== null && indexOfBytes(value, PLANTED_MARKER) === 0
}

/** Whether `bytes` (an encoded record, a frame) holds a planted value anywhere. */
export function containsPlanted (bytes: Uint8Array): boolean {
  return indexOfBytes(bytes, PLANTED_MARKER) !== -1
}

function indexOfBytes (haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

/** The rogue's `n`th value of its own. */
export function ownValue (n: number): Uint8Array {
  return encoder.encode(`${ROGUE_ID}:${n}`)
}

export function isOwnValue (value: Uint8Array | null): boolean {
  return value !== null && /^rogue:[0-9]+$/.test(decoder.decode(value))
}

/**
 * A write of the rogue's own actor, as the checker needs it: its value (null: a delete),
 * its dot, and the context it may have superseded (`effectiveContext`).
 */
export interface RogueWrite {
  readonly key: Key
  readonly dot: Dot
  readonly value: Uint8Array | null
  readonly context: VersionVector
}

/** The counter of `actor` in `clock` (0: none). */
export function counterIn (clock: DvvSet | null, actor: string): number {
  return clock?.entries.find((e) => e.actor === actor)?.counter ?? 0
}

/**
 * An honest client's write of `key` over `read` (what it read; null: nothing): its own
 * dot `counter` of ROGUE_ACTOR holding `sibling`, every value it read superseded. Its own
 * earlier dots are covered too (they are its own lineage).
 */
export function ownWrite (read: DvvSet | null, counter: number, sibling: Sibling): DvvSet {
  let base = read ?? emptyClock()
  if (counter > 1) base = sync(base, { entries: [{ actor: ROGUE_ACTOR, counter: counter - 1, values: [], ts: 0 }], anonymous: [] })
  return update(base, contextOf(base), sibling, ROGUE_ACTOR)
}

/** The honest actors of `clock` (the rogue's own left out). */
export function honestEntries (clock: DvvSet | null): DvvEntry[] {
  return (clock?.entries ?? []).filter((e) => !e.actor.startsWith(`${ROGUE_ID}:`))
}

/** Ways to lie about honest actors in a version handed to a member. */
export type Forgery =
  /** Honest actors' counters near 2^53: later mints of theirs would overflow. */
  | 'poison'
  /** A planted value under an honest actor's next dot (one it has not minted yet). */
  | 'plant-next'
  /** Planted values under honest actors' dots already minted (held with other values). */
  | 'plant-seen'
  /** Honest actors' counters far beyond theirs, with no values: erase all they wrote. */
  | 'erase'
  /** Planted anonymous values (the engine never holds any). */
  | 'anonymous'

export const FORGERIES: readonly Forgery[] = ['poison', 'plant-next', 'plant-seen', 'erase', 'anonymous']

/**
 * `base` (a version the rogue built: with or without a value of its own) with the lies of
 * `forgery` about the honest actors of `read`, or about `fallback` actors when it read none.
 * `planted` gives fresh planted values.
 */
export function forge (base: DvvSet, read: DvvSet | null, forgery: Forgery, rng: Rng, planted: () => Uint8Array, fallback: readonly string[], ts: number): DvvSet {
  if (forgery === 'anonymous') {
    const anonymous = [{ value: planted(), ts }, { value: planted(), ts: ts + 1 }]
    return { entries: base.entries, anonymous: [...base.anonymous, ...anonymous].sort((a, b) => a.ts - b.ts) }
  }
  const seen = new Map(honestEntries(read).map((e) => [e.actor, e.counter]))
  const victims = seen.size > 0 ? [...seen.keys()] : [...fallback]
  const lies = new Map<string, DvvEntry>()
  for (const actor of victims) {
    if (lies.size > 0 && rng.chance(0.4)) continue // not always every actor
    const counter = seen.get(actor) ?? 0
    switch (forgery) {
      case 'poison':
        lies.set(actor, { actor, counter: Number.MAX_SAFE_INTEGER - rng.int(0, 8), values: [], ts })
        break
      case 'plant-next':
        lies.set(actor, { actor, counter: counter + 1, values: [{ value: planted(), ts }], ts })
        break
      case 'plant-seen':
        if (counter === 0) lies.set(actor, { actor, counter: 1, values: [{ value: planted(), ts }], ts })
        else lies.set(actor, { actor, counter, values: Array.from({ length: Math.min(counter, 2) }, () => ({ value: planted(), ts })), ts })
        break
      case 'erase':
        lies.set(actor, { actor, counter: FORGED_COUNTER_FLOOR + rng.int(0, 1000), values: [], ts })
        break
    }
  }
  // Replace or add the lied-about entries, keeping the actor order of a valid clock.
  const entries = [...base.entries.filter((e) => !lies.has(e.actor)), ...lies.values()]
  entries.sort((a, b) => (a.actor < b.actor ? -1 : a.actor > b.actor ? 1 : 0))
  return { entries, anonymous: base.anonymous }
}

/**
 * What `delivered` (a version the rogue handed to a member through `client-put`) may have
 * superseded of honest actors' dots: for each honest entry, the dots it claims covered
 * (`counter - values.length`), when that claim is about dots the rogue has seen (no more
 * than `read`'s counter). A claim beyond that is dropped by every honest replica
 * (clientContribution) unless it holds such a counter — which only a poisoned replica does,
 * and the counter check reports. undefined when `delivered` holds no value (or tombstone)
 * of the rogue's own: then it may supersede nothing at all.
 */
export function effectiveContext (delivered: DvvSet, read: DvvSet | null): VersionVector | undefined {
  if (!delivered.entries.some((e) => e.actor.startsWith(`${ROGUE_ID}:`) && e.values.length > 0)) return undefined
  const out: Array<readonly [string, number]> = []
  for (const entry of delivered.entries) {
    if (entry.actor.startsWith(`${ROGUE_ID}:`)) {
      out.push([entry.actor, entry.counter])
      continue
    }
    const covered = entry.counter - entry.values.length
    if (covered >= 1 && covered <= counterIn(read, entry.actor)) out.push([entry.actor, covered])
  }
  return out
}
