/**
 * Cutting a version that does not fit one frame into parts that do. A part is a valid
 * DvvSet holding some of the version's entries whole; the parts are actor-disjoint and
 * together hold every entry. Merging them one by one into a replica gives what merging the
 * whole gives, because DVVSet sync (versions.ts `sync`) merges each actor on its own
 * (`mergeEntry` looks at one actor's two entries and nothing else): for a clock without
 * anonymous values, sync(L, W) restricted to actor a is mergeEntry(L_a, W_a) when W has a,
 * and L_a when it has not; merging the parts in any order reaches each W_a exactly once and
 * leaves every other actor's entry as it was. The same-counter tie-break (the smaller
 * value list wins) is part of mergeEntry, so it is decided per actor the same way.
 *
 * An entry is never cut: an entry carrying only its newest values would claim the older
 * ones superseded (dots at or below `counter - values.length` count as covered), and one
 * carrying the older values under a lower counter is discarded by the merge whenever the
 * receiver knows the higher counter. The write bound (LIMITS.siblingBytes, checked where a
 * dot is minted) keeps every entry within half a frame: an actor's values are minted by one
 * coordinator, on one clock that the bound held at every mint.
 *
 * Anonymous values (never produced by the engine: versions.ts) travel in the first part.
 * DVVSet's rule for them compares whole clocks (a side's anonymous values are dropped when
 * its context is strictly before the other's), so merging the parts one by one can decide
 * differently from merging the whole, either way: a first part whose few actors are all
 * behind the receiver's loses anonymous values the whole would have kept. The rule is not
 * associative anyway (versions.ts `sync`), so no order of merges is canonical for them; the
 * equality above holds for clocks without anonymous values (what the engine stores), and
 * the parts reassembled from empty (`syncAll(parts)`) still equal the whole.
 */
import type { DvvEntry, DvvSet, Sibling } from './types.js'
import { utf8ByteLength } from './codec-text.js'
import { compareActors } from './versions-siblings.js'

/** CBOR head of an item (major type + length): at most 9 bytes. */
const HEAD = 9

/** Upper bound of the encoded bytes of one sibling: [value | null, ts]. */
function siblingWireBytes (s: Sibling): number {
  return 1 + HEAD + (s.value?.byteLength ?? 0) + HEAD
}

/** Upper bound of the encoded bytes of one entry: [actor, counter, [sibling…], ts]. */
export function entryWireBytes (e: DvvEntry): number {
  let bytes = 1 + HEAD + utf8ByteLength(e.actor) + HEAD + HEAD + HEAD
  for (const s of e.values) bytes += siblingWireBytes(s)
  return bytes
}

/** Upper bound of the encoded bytes of a clock (codec-clock.ts's layout); exact enough to pack frames. */
export function clockWireBytes (clock: DvvSet): number {
  let bytes = 1 + HEAD + HEAD
  for (const e of clock.entries) bytes += entryWireBytes(e)
  for (const s of clock.anonymous) bytes += siblingWireBytes(s)
  return bytes
}

/** Bytes of sibling values a clock holds (tombstones count 0): what the write bound limits. */
export function valueBytes (clock: DvvSet): number {
  let bytes = 0
  for (const e of clock.entries) for (const s of e.values) bytes += s.value?.byteLength ?? 0
  for (const s of clock.anonymous) bytes += s.value?.byteLength ?? 0
  return bytes
}

/**
 * `clock` cut into actor-disjoint parts of at most `maxBytes` (`clockWireBytes`) each, in
 * actor order; `[clock]` itself when it fits. An entry larger than `maxBytes` on its own
 * makes a part by itself (larger than asked: the caller's frame check refuses it, as it
 * would have refused the whole). The anonymous values go in the first part.
 */
export function splitClock (clock: DvvSet, maxBytes: number): DvvSet[] {
  if (clockWireBytes(clock) <= maxBytes) return [clock]
  const parts: DvvSet[] = []
  const empty = 1 + HEAD + HEAD
  let anonymous: readonly Sibling[] = clock.anonymous
  let entries: DvvEntry[] = []
  let bytes = empty
  for (const s of anonymous) bytes += siblingWireBytes(s)
  for (const entry of clock.entries) {
    const size = entryWireBytes(entry)
    if (entries.length > 0 && bytes + size > maxBytes) {
      parts.push({ entries, anonymous })
      anonymous = []
      entries = []
      bytes = empty
    }
    entries.push(entry)
    bytes += size
  }
  if (entries.length > 0 || anonymous.length > 0) parts.push({ entries, anonymous })
  // A clock with nothing in it is its own (only) part, whatever the budget.
  return parts.length === 0 ? [clock] : parts
}

/**
 * One part of `clock` for a reader that asks for a version part by part (a reply holds one
 * frame): the entries of the actors after `after` (code-unit order; '' = from the first,
 * then with the anonymous values) that fit `maxBytes` as `splitClock` cuts them, and
 * `next`, the actor to ask after for the rest, or undefined when this part ends the
 * version. The reader merges the parts. The version may change between two asks; each part
 * is still a piece of a version this replica held, so merging it loses nothing.
 */
export function clockPartAfter (clock: DvvSet, after: string, maxBytes: number): { readonly part: DvvSet, readonly next?: string } {
  const rest: DvvSet = {
    entries: clock.entries.filter((e) => compareActors(e.actor, after) > 0),
    anonymous: after === '' ? clock.anonymous : []
  }
  const [part = rest, ...more] = splitClock(rest, maxBytes)
  const last = part.entries[part.entries.length - 1]
  return more.length === 0 || last === undefined ? { part } : { part, next: last.actor }
}
