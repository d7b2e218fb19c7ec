/**
 * "Under the hood": whether this tab's peer is online, whom it is connected to and how,
 * the changes still waiting for their replicas (hints), the members (each with a
 * block/unblock fault switch) and the sibling merges the cart performed.
 */
import { productName } from './catalogue.js'
import type { MergeRecord } from './conflicts.js'
import { el, shortId } from './dom.js'
import type { DemoStatus } from './peer-types.js'

export interface StatusActions {
  toggleOnline(): void
  toggleBlock(peer: string): void
}

export interface StatusState {
  readonly status: DemoStatus | null
  readonly problem: string | null
  readonly lastError: string | null
  readonly bootstrap: readonly string[]
}

function connectionCard (s: StatusState, actions: StatusActions): HTMLElement {
  const st = s.status
  const online = st?.online ?? false
  return el('div', { class: 'card' },
    el('h3', {}, 'Connection'),
    el('div', { class: 'conn-head' },
      el('div', { class: `online ${online ? 'is-online' : 'is-offline'}`, 'data-online': String(online) },
        el('span', { class: 'dot' }), online ? 'Online' : 'Offline'),
      el('button', { type: 'button', class: `btn ${online ? 'btn-warn' : 'btn-primary'}`, 'data-fault': 'online', disabled: st === null, onclick: () => { actions.toggleOnline() } },
        online ? 'Go offline' : 'Go online')),
    el('dl', { class: 'facts' },
      el('dt', {}, 'This tab'), el('dd', {}, st === null ? '—' : el('code', { title: st.peerId }, shortId(st.peerId)), el('span', { class: 'muted' }, ' · light peer, weight 0')),
      el('dt', {}, 'Unsynced changes'), el('dd', { 'data-hints': st?.hintsPending ?? 0 }, el('strong', {}, String(st?.hintsPending ?? 0)), el('span', { class: 'muted' }, ' hints waiting for their replicas')),
      el('dt', {}, 'Keys held here'), el('dd', {}, String(st?.keys ?? 0)),
      el('dt', {}, 'Bootstrap'), el('dd', { class: 'addr', title: s.bootstrap.join('\n') }, s.bootstrap.length === 0 ? 'none' : s.bootstrap[0] ?? '')),
    s.problem === null ? null : el('p', { class: 'note warn' }, s.problem),
    s.lastError === null ? null : el('p', { class: 'note warn' }, `Last sync: ${s.lastError}`))
}

function peersCard (s: StatusState, actions: StatusActions): HTMLElement {
  const st = s.status
  const connections = st?.connections ?? []
  const partitions = new Map((st?.ring.members ?? []).map((m) => [m.id, m.partitions]))
  const blocked = new Set(st?.blocked ?? [])
  const others = (st?.members ?? []).filter((m) => m.id !== st?.peerId)
  return el('div', { class: 'card' },
    el('h3', {}, 'Peers'),
    el('p', { class: 'muted' }, `${connections.length} connected`),
    el('ul', { class: 'connections' }, ...connections.map((c) =>
      el('li', {}, el('code', { title: c.peer }, shortId(c.peer)), el('span', { class: `transport t-${c.transport.toLowerCase()}` }, c.transport)))),
    el('table', { class: 'members' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Member'), el('th', {}, 'Zone'), el('th', {}, 'Weight'), el('th', {}, 'Partitions'), el('th', {}, 'State'), el('th', {}, ''))),
      el('tbody', {}, ...others.map((m) => el('tr', { 'data-member': m.id },
        el('td', {}, el('code', { title: m.id }, shortId(m.id))),
        el('td', {}, m.zone || '—'),
        el('td', {}, String(m.weight)),
        el('td', {}, String(partitions.get(m.id) ?? 0)),
        el('td', {}, el('span', { class: `pill ${m.reachable ? 'ok' : 'down'}` }, blocked.has(m.id) ? 'blocked' : m.reachable ? 'reachable' : 'unreachable')),
        el('td', {}, el('button', { type: 'button', class: 'btn btn-small', 'data-block': m.id, onclick: () => { actions.toggleBlock(m.id) } }, blocked.has(m.id) ? 'Unblock' : 'Block')))))),
    others.length === 0 ? el('p', { class: 'muted' }, 'No other members known yet.') : null)
}

function mergeItem (record: MergeRecord): HTMLElement {
  const time = new Date(record.at).toLocaleTimeString()
  return el('li', { class: 'merge' },
    el('div', { class: 'merge-head' }, el('strong', {}, `Merged ${record.versions} conflicting versions`), el('span', { class: 'muted' }, ` · ${time}`)),
    record.unreadable > 0 ? el('div', { class: 'muted' }, `${record.unreadable} not a cart (ignored)`) : null,
    record.notes.length === 0
      ? el('div', { class: 'muted' }, 'The versions held the same lines.')
      : el('ul', { class: 'merge-notes' }, ...record.notes.map((n) =>
        el('li', {},
          el('span', {}, productName(n.item)),
          el('span', {}, el('span', { class: 'versions' }, n.quantities.map((q) => (q === 0 ? 'none' : `×${q}`)).join(' | '), ' → '),
            el('strong', {}, n.merged === 0 ? 'removed' : `×${n.merged}`)),
          el('span', { class: 'why' }, n.outcome)))))
}

function conflictsCard (merges: readonly MergeRecord[]): HTMLElement {
  return el('div', { class: 'card' },
    el('h3', {}, 'Conflicts merged'),
    merges.length === 0
      ? el('p', { class: 'muted' }, 'None yet. Open this cart in another tab, go offline in one, change both, go back online.')
      : el('ul', { class: 'merges', 'data-merges': merges.length }, ...merges.map(mergeItem)))
}

/** The three cards, each drawn only when what it shows changed (so buttons stay put under the pointer). */
export const statusCards = {
  connection: connectionCard,
  peers: peersCard,
  conflicts: (s: StatusState, merges: readonly MergeRecord[]): HTMLElement => conflictsCard(merges)
}

/** What the connection card shows, as a comparable string. */
export function connectionSignature (s: StatusState): string {
  const st = s.status
  return JSON.stringify([st?.peerId, st?.online, st?.hintsPending, st?.keys, s.problem, s.lastError, s.bootstrap])
}

/** What the peers card shows, as a comparable string. */
export function peersSignature (s: StatusState): string {
  const st = s.status
  return JSON.stringify([st?.peerId, st?.connections, st?.blocked,
    st?.members.map((m) => [m.id, m.status, m.weight, m.zone, m.reachable]), st?.ring.members.map((m) => [m.id, m.partitions])])
}
