/**
 * What a client may contribute to a replica's version of a key (docs/trust.md, "The
 * client surface"). A client is a peer that is not an admitted member, typically a
 * browser tab: it mints dots of its own actors (`<its peer id>:<epoch>`) for its own
 * writes and hands the resulting version to members. A member merges such a version only
 * through `clientContribution`, so that a client can never:
 *
 * - introduce a value under another actor's dot (forging a member's write);
 * - raise another actor's counter (a counter of 2^53-2 would make the key unwritable for
 *   that actor: every later mint overflows);
 * - claim it superseded dots this replica has never seen;
 * - erase values without writing one of its own (a version with no value of its own
 *   contributes nothing: no tombstone-less erasure, no "read repair" by a client).
 *
 * What it may still do is what a write does: supersede the versions it names in its own
 * clock, as far as this replica holds them, with a value (or tombstone) of its own.
 *
 * Why the other actors' entries are rebuilt from the replica's own: the merge of
 * `local` with an entry `(actor, local.counter, local.values')` (a prefix of the local
 * values) keeps exactly the local values the client did not cover, and never anything the
 * client wrote. The entry is a version this replica really held (a past state restricted
 * to the client's claim), so merging it later, after the replica moved on, is as harmless
 * as merging any stale replica: the contribution may be computed outside the key's lock.
 */
import type { DvvEntry, DvvSet } from './types.js'

/** Whether `actor` is one of `peer`'s actors (`<peer>:<epoch>`, peer ids never hold ':'). */
export function isActorOf (actor: string, peer: string): boolean {
  return actor.length > peer.length + 1 && actor.startsWith(peer) && actor[peer.length] === ':'
}

/**
 * The part of `delivered` (a client's version of a key) that a replica holding `local`
 * (null: none) may merge: the client's own entries whole, other actors' entries only up to
 * what `local` holds (entries naming dots beyond it are dropped), anonymous values never.
 * null when `delivered` holds no live value of the client's own: nothing to contribute.
 */
export function clientContribution (delivered: DvvSet, client: string, local: DvvSet | null): DvvSet | null {
  if (!delivered.entries.some((e) => isActorOf(e.actor, client) && e.values.length > 0)) return null
  const held = new Map<string, DvvEntry>((local?.entries ?? []).map((e) => [e.actor, e]))
  const entries: DvvEntry[] = []
  for (const entry of delivered.entries) {
    if (isActorOf(entry.actor, client)) {
      entries.push(entry)
      continue
    }
    const mine = held.get(entry.actor)
    if (mine === undefined || entry.counter > mine.counter) continue
    // Dots at or below `covered` the client claims to have seen and superseded.
    const covered = entry.counter - entry.values.length
    const keep = Math.min(mine.values.length, mine.counter - covered)
    // A client write that superseded values here stamped the entry with its time, as a
    // member's does (versions.ts `discardCovered`): take it, so the record is kept as long
    // and this replica's version (and its digest) equals the client's copy. It only orders
    // truncation within a key the client may write.
    const ts = keep < mine.values.length ? Math.max(mine.ts, entry.ts) : mine.ts
    entries.push({ actor: mine.actor, counter: mine.counter, values: mine.values.slice(0, keep), ts })
  }
  return { entries, anonymous: [] }
}
