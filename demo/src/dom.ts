/**
 * A tiny element builder: the demo renders with plain DOM calls, so text from the store
 * (item ids, peer ids) always lands as text, never as markup.
 */
type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>

function apply (node: Element, attrs: Attrs, children: readonly Child[]): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') node.addEventListener(name.replace(/^on/, ''), value)
    else node.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    node.append(typeof child === 'number' ? String(child) : child)
  }
}

export function el<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  apply(node, attrs, children)
  return node
}

const SVG_NS = 'http://www.w3.org/2000/svg'

export function svgEl<K extends keyof SVGElementTagNameMap> (tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag)
  apply(node, attrs, children)
  return node
}

/** Trusted static markup (the catalogue's drawings) as a node. */
export function trustedMarkup (html: string): DocumentFragment {
  const template = document.createElement('template')
  template.innerHTML = html
  return template.content
}

/** "…x7Kq9d": the tail of a peer id, which is where libp2p ids differ. */
export function shortId (id: string): string {
  return id.length <= 10 ? id : `…${id.slice(-8)}`
}
