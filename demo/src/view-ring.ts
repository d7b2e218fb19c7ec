/**
 * The ring as a picture: Q partitions around a circle, coloured by owner. The cart key's
 * partition gets a pointer; the members of its preference list keep full colour (the
 * others fade) and a numbered dot marks where the clockwise walk from the key picks each
 * replica.
 */
import { partitionOf, preferenceList } from '@ringstore/core'
import type { Ring } from '@ringstore/core'
import { el, shortId, svgEl } from './dom.js'

/** Distinct, colour-blind-friendlier hues (Okabe–Ito, then Tableau). Owners past these reuse them. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#4E79A7', '#59A14F', '#B07AA1']

const OUTER = 96
const INNER = 72
const TAU = Math.PI * 2
/** Radians between two pick dots below which the second stacks outwards (a dot is ~13 units at r≈108). */
const PICK_MIN_GAP = 0.125

export interface RingPicture {
  readonly ring: Ring | null
  readonly key: string
  readonly n: number
  readonly self: string
}

export function ownerColours (ring: Ring): Map<string, string> {
  const owners = [...new Set(ring.owners.filter((o): o is string => o !== null))].sort()
  return new Map(owners.map((id, i) => [id, PALETTE[i % PALETTE.length] as string]))
}

function point (angle: number, radius: number): string {
  // Partition 0 at twelve o'clock, clockwise.
  return `${(Math.sin(angle) * radius).toFixed(2)} ${(-Math.cos(angle) * radius).toFixed(2)}`
}

function arc (from: number, to: number, outer: number, inner: number): string {
  // A whole-circle arc has equal end points and draws nothing: split long ones in two.
  if (to - from > Math.PI) return `${arc(from, (from + to) / 2, outer, inner)} ${arc((from + to) / 2, to, outer, inner)}`
  const large = 0
  return `M ${point(from, outer)} A ${outer} ${outer} 0 ${large} 1 ${point(to, outer)} L ${point(to, inner)} A ${inner} ${inner} 0 ${large} 0 ${point(from, inner)} Z`
}

/** Runs of consecutive partitions with the same owner: one path each instead of q. */
function runs (owners: readonly (string | null)[]): Array<{ start: number, end: number, owner: string | null }> {
  const out: Array<{ start: number, end: number, owner: string | null }> = []
  owners.forEach((owner, p) => {
    const last = out[out.length - 1]
    if (last !== undefined && last.owner === owner) last.end = p + 1
    else out.push({ start: p, end: p + 1, owner })
  })
  return out
}

/** Where the clockwise walk from `partition` first meets each preference-list member. */
function pickPoints (ring: Ring, partition: number, list: readonly string[]): Array<{ partition: number, index: number }> {
  const found = new Map<string, number>()
  for (let step = 0; step < ring.q && found.size < list.length; step++) {
    const p = (partition + step) % ring.q
    const owner = ring.owners[p]
    if (owner !== null && owner !== undefined && list.includes(owner) && !found.has(owner)) found.set(owner, p)
  }
  return [...found].map(([owner, p]) => ({ partition: p, index: list.indexOf(owner) }))
}

function segments (ring: Ring, colours: Map<string, string>, list: readonly string[]): SVGGElement {
  const g = svgEl('g', { class: 'ring-segments' })
  const width = TAU / ring.q
  for (const run of runs(ring.owners)) {
    const fill = run.owner === null ? '#e2ddd5' : colours.get(run.owner) ?? '#999'
    const faded = run.owner !== null && !list.includes(run.owner)
    g.append(svgEl('path', { d: arc(run.start * width, run.end * width, OUTER, INNER), fill, opacity: faded ? 0.28 : 1, ...(ring.q <= 128 ? { stroke: '#fff', 'stroke-width': 0.8 } : {}) },
      svgEl('title', {}, `partitions ${run.start}–${run.end - 1}: ${run.owner ?? 'no owner'}`)))
  }
  return g
}

/** An arrow from inside the ring to the key's partition. */
function keyMarker (ring: Ring, partition: number, key: string): SVGGElement {
  const angle = (partition + 0.5) * TAU / ring.q
  const side = 0.06 // half-width of the arrow head, in radians
  return svgEl('g', { class: 'ring-key' },
    svgEl('path', { d: `M ${point(angle, 50)} L ${point(angle, INNER - 8)}`, stroke: '#1d1d1f', 'stroke-width': 2.2 }),
    svgEl('path', { d: `M ${point(angle, INNER - 1)} L ${point(angle - side, INNER - 11)} L ${point(angle + side, INNER - 11)} Z`, fill: '#1d1d1f' }),
    svgEl('path', { d: arc(partition * TAU / ring.q, (partition + 1) * TAU / ring.q, OUTER + 3, INNER - 3), fill: 'none', stroke: '#1d1d1f', 'stroke-width': 1.5 }),
    svgEl('title', {}, `${key} → partition ${partition}`))
}

/** Numbered dots outside the ring; picks closer than a dot's width stack outwards. */
function picks (ring: Ring, partition: number, list: readonly string[]): SVGGElement {
  const g = svgEl('g', { class: 'ring-picks' })
  let previous: { angle: number, level: number } | null = null
  for (const pick of pickPoints(ring, partition, list)) {
    const angle = (pick.partition + 0.5) * TAU / ring.q
    const level: number = previous !== null && angle - previous.angle < PICK_MIN_GAP ? previous.level + 1 : 0
    previous = { angle, level }
    const radius = OUTER + 12 + level * 14
    const [x, y] = [Math.sin(angle) * radius, -Math.cos(angle) * radius]
    g.append(svgEl('circle', { cx: x, cy: y, r: 6.5, fill: '#1d1d1f', stroke: '#fff', 'stroke-width': 1.2 }),
      svgEl('text', { x, y: y + 3, 'text-anchor': 'middle', 'font-size': 8.5, fill: '#fff', 'font-weight': 700 }, pick.index + 1))
  }
  return g
}

function legend (ring: Ring, colours: Map<string, string>, list: readonly string[], self: string): HTMLElement {
  const counts = new Map<string, number>()
  for (const o of ring.owners) if (o !== null) counts.set(o, (counts.get(o) ?? 0) + 1)
  return el('ul', { class: 'ring-legend' }, ...[...colours].map(([id, colour]) => {
    const replica = list.indexOf(id)
    return el('li', { class: replica >= 0 ? 'in-list' : '' },
      el('span', { class: 'swatch', style: `background:${colour}` }),
      el('code', { title: id }, shortId(id)), id === self ? ' (this tab)' : '',
      el('span', { class: 'muted' }, ` ${counts.get(id) ?? 0} partitions`),
      replica >= 0 ? el('span', { class: 'badge' }, `replica ${replica + 1}`) : null)
  }))
}

export function renderRing (picture: RingPicture): DocumentFragment {
  const { ring, key, n } = picture
  const out = document.createDocumentFragment()
  if (ring === null) {
    out.append(el('p', { class: 'muted' }, 'Ring not available yet.'))
    return out
  }
  const partition = partitionOf(key, ring.q)
  const owned = ring.owners.some((o) => o !== null)
  const list = owned ? preferenceList(ring, partition, n) : []
  const colours = ownerColours(ring)
  const svg = svgEl('svg', { viewBox: '-138 -138 276 276', class: 'ring-svg', role: 'img', 'aria-label': `ring of ${ring.q} partitions` },
    segments(ring, colours, list), keyMarker(ring, partition, key), picks(ring, partition, list),
    svgEl('text', { x: 0, y: -8, 'text-anchor': 'middle', class: 'ring-centre-big' }, `Q = ${ring.q}`),
    svgEl('text', { x: 0, y: 6, 'text-anchor': 'middle', class: 'ring-centre' }, key.length > 24 ? `${key.slice(0, 23)}…` : key),
    svgEl('text', { x: 0, y: 18, 'text-anchor': 'middle', class: 'ring-centre' }, `partition ${partition}`))
  out.append(svg,
    owned
      ? el('p', { class: 'ring-caption' }, 'The arrow marks this cart\'s partition; walking clockwise, the numbered dots pick its ', el('strong', {}, `N = ${n}`), ' replicas (faded: members not holding it).')
      : el('p', { class: 'ring-caption muted' }, 'No member owns partitions yet: this tab (a light peer, weight 0) keeps the cart locally until it finds the cluster.'),
    legend(ring, colours, list, picture.self))
  return out
}
