/**
 * A reference model of DVVSet (Preguiça et al. 2012; Almeida et al. 2014; Riak's
 * dvvset.erl), written apart from src/versions*.ts for the differential test
 * (versions-model.test.ts). Small and unoptimised on purpose: entries in a Map, values as
 * plain ids, every merge decided dot by dot, no truncation, no bounds.
 *
 * A clock maps each actor to `{ n, vals }`: the actor's dots 1..n are in the causal
 * history; `vals[k]` is the live value of dot n - k (newest first). Dots at or below
 * n - vals.length are seen and superseded. `anon` are values without a dot (dvvset's
 * anonymous list, made by `fresh` and consumed by `update`).
 */

export interface RefEntry { readonly n: number, readonly vals: readonly string[] }
export interface RefClock { readonly e: ReadonlyMap<string, RefEntry>, readonly anon: readonly string[] }
export type RefVV = ReadonlyMap<string, number>

export const refEmpty = (): RefClock => ({ e: new Map(), anon: [] })

/** dvvset new/2: a client's value with the context it read, before a coordinator dots it. */
export function refFresh (ctx: RefVV, value: string): RefClock {
  return { e: new Map([...ctx].map(([a, n]) => [a, { n, vals: [] }])), anon: [value] }
}

/** dvvset join/1: the causal history as a version vector (zero counters left out). */
export function refJoin (c: RefClock): RefVV {
  return new Map([...c.e].filter(([, x]) => x.n > 0).map(([a, x]) => [a, x.n]))
}

/** Every value with its dot (`actor#counter`); anonymous values under `anon#<id>`. */
export function refValues (c: RefClock): Map<string, string> {
  const out = new Map<string, string>()
  for (const [a, x] of c.e) x.vals.forEach((v, k) => out.set(`${a}#${x.n - k}`, v))
  for (const v of c.anon) out.set(`anon#${v}`, v)
  return out
}

/** a ≤ b pointwise. */
export function refVvLeq (a: RefVV, b: RefVV): boolean {
  return [...a].every(([actor, n]) => (b.get(actor) ?? 0) >= n)
}

/** dvvset less/2: a's history strictly inside b's. */
export function refLess (a: RefClock, b: RefClock): boolean {
  const ja = refJoin(a)
  const jb = refJoin(b)
  return refVvLeq(ja, jb) && !refVvLeq(jb, ja)
}

/** The live dots of one entry, counter → value. */
function liveDots (x: RefEntry | undefined): Map<number, string> {
  return new Map((x?.vals ?? []).map((v, k) => [(x as RefEntry).n - k, v]))
}

/**
 * One actor's entries merged dot by dot: a dot stays live iff it is live on a side and the
 * other side either holds it live too or has never seen it. Raises if the survivors are
 * not the newest contiguous dots: one actor writes through one lineage, so they must be.
 */
function mergeEntry (x: RefEntry | undefined, y: RefEntry | undefined): RefEntry {
  const nx = x?.n ?? 0
  const ny = y?.n ?? 0
  const lx = liveDots(x)
  const ly = liveDots(y)
  const live = new Map<number, string>()
  for (const [d, v] of lx) if (ly.has(d) || d > ny) live.set(d, v)
  for (const [d, v] of ly) if (lx.has(d) || d > nx) live.set(d, live.get(d) ?? v)
  const n = Math.max(nx, ny)
  const vals: string[] = []
  for (let d = n; live.has(d); d--) vals.push(live.get(d) as string)
  if (vals.length !== live.size) throw new Error('reference: live dots of one actor are not contiguous')
  return { n, vals }
}

/** dvvset sync/2. Anonymous values: the strictly later side's, else the union. */
export function refSync (a: RefClock, b: RefClock): RefClock {
  const e = new Map<string, RefEntry>()
  for (const actor of new Set([...a.e.keys(), ...b.e.keys()])) e.set(actor, mergeEntry(a.e.get(actor), b.e.get(actor)))
  const anon = refLess(a, b) ? b.anon : refLess(b, a) ? a.anon : [...new Set([...a.anon, ...b.anon])]
  return { e, anon }
}

/** The paper's discard: drop the values the context covers, raise counters to it. */
export function refDiscard (c: RefClock, ctx: RefVV): RefClock {
  const e = new Map<string, RefEntry>()
  for (const actor of new Set([...c.e.keys(), ...ctx.keys()])) {
    const x = c.e.get(actor) ?? { n: 0, vals: [] }
    const seen = ctx.get(actor) ?? 0
    e.set(actor, { n: Math.max(x.n, seen), vals: x.vals.filter((_, k) => x.n - k > seen) })
  }
  return { e, anon: c.anon }
}

/** dvvset event/3: a new dot of `actor` holding `value`. */
export function refEvent (c: RefClock, actor: string, value: string): RefClock {
  const x = c.e.get(actor) ?? { n: 0, vals: [] }
  return { e: new Map(c.e).set(actor, { n: x.n + 1, vals: [value, ...x.vals] }), anon: c.anon }
}

/**
 * dvvset update/3 of `refFresh(ctx, value)` at a coordinator whose clock is `server`:
 * sync the context (without the value) with the server clock, which is the paper's
 * discard plus the anonymous rule, then the coordinator's event.
 */
export function refUpdate (server: RefClock, ctx: RefVV, value: string, actor: string): RefClock {
  const fresh = refFresh(ctx, value)
  const discarded = refDiscard(server, ctx)
  const anon = refLess(server, { e: fresh.e, anon: [] }) ? [] : server.anon
  return refEvent({ e: discarded.e, anon }, actor, value)
}
