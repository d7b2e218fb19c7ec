/**
 * The shop's catalogue: a dozen kitchen and home goods, each drawn in inline SVG (nothing
 * loads from outside the machine). Prices in cents. The art is static, trusted markup.
 */

export interface Product {
  readonly id: string
  readonly name: string
  readonly category: 'Kitchen' | 'Table' | 'Home'
  readonly priceCents: number
  readonly blurb: string
  /** Background of the product tile. */
  readonly tint: string
  /** An SVG drawing, viewBox 0 0 200 150. */
  readonly art: string
}

const svg = (body: string): string =>
  `<svg viewBox="0 0 200 150" xmlns="http://www.w3.org/2000/svg" aria-hidden="true">${body}</svg>`

const shadow = '<ellipse cx="100" cy="132" rx="62" ry="7" fill="#000" opacity=".08"/>'

export const PRODUCTS: readonly Product[] = [
  {
    id: 'teapot', name: 'Stoneware Teapot', category: 'Kitchen', priceCents: 4800, tint: '#f3e6dc',
    blurb: 'Hand-glazed, 1.2 litres, with a stainless steel infuser.',
    art: svg(`${shadow}<path d="M52 78 C30 70 28 100 50 104" fill="none" stroke="#b5654a" stroke-width="7" stroke-linecap="round"/>
      <path d="M142 84 L170 58 L176 62 L150 100 Z" fill="#c97557"/>
      <ellipse cx="100" cy="95" rx="52" ry="38" fill="#d9825f"/><ellipse cx="100" cy="62" rx="34" ry="8" fill="#b5654a"/>
      <circle cx="100" cy="52" r="7" fill="#b5654a"/><path d="M62 96 Q100 112 138 96" fill="none" stroke="#f3e6dc" stroke-width="3" opacity=".6"/>`)
  },
  {
    id: 'mug', name: 'Enamel Camp Mug', category: 'Table', priceCents: 1400, tint: '#dde8f0',
    blurb: 'Speckled enamel over steel, 350 ml. Survives drops and tornados.',
    art: svg(`${shadow}<path d="M128 62 h14 a18 18 0 0 1 0 36 h-14" fill="none" stroke="#2f5d7c" stroke-width="9"/>
      <rect x="62" y="48" width="70" height="82" rx="8" fill="#3b7197"/><rect x="62" y="48" width="70" height="10" rx="5" fill="#2f5d7c"/>
      <circle cx="80" cy="80" r="2" fill="#fff" opacity=".7"/><circle cx="110" cy="95" r="2" fill="#fff" opacity=".7"/>
      <circle cx="92" cy="112" r="2" fill="#fff" opacity=".7"/><circle cx="118" cy="70" r="2" fill="#fff" opacity=".7"/>
      <path d="M85 38 q-6 -10 0 -20 M100 38 q-6 -10 0 -20 M115 38 q-6 -10 0 -20" fill="none" stroke="#9bb3c4" stroke-width="3" stroke-linecap="round"/>`)
  },
  {
    id: 'kettle', name: 'Gooseneck Kettle', category: 'Kitchen', priceCents: 6900, tint: '#e9e4da',
    blurb: 'Matte black, precise pour for filter coffee, 0.9 litres.',
    art: svg(`${shadow}<path d="M66 100 C40 96 36 60 28 44 L34 40 C44 58 50 84 70 88" fill="none" stroke="#2b2b2b" stroke-width="6" stroke-linecap="round"/>
      <path d="M70 60 L130 60 L146 128 L56 128 Z" fill="#333"/><rect x="84" y="50" width="32" height="12" rx="4" fill="#222"/>
      <path d="M130 68 C168 66 168 122 140 122" fill="none" stroke="#8a6a4a" stroke-width="8" stroke-linecap="round"/>
      <path d="M72 76 L128 76" stroke="#555" stroke-width="2"/>`)
  },
  {
    id: 'skillet', name: 'Cast-iron Skillet', category: 'Kitchen', priceCents: 5200, tint: '#e4e1dc',
    blurb: 'Pre-seasoned 26 cm pan that outlives its owner.',
    art: svg(`${shadow}<rect x="128" y="70" width="62" height="14" rx="7" fill="#2e2e2e"/>
      <circle cx="180" cy="77" r="3" fill="#e4e1dc"/><ellipse cx="86" cy="80" rx="62" ry="44" fill="#2e2e2e"/>
      <ellipse cx="86" cy="78" rx="52" ry="35" fill="#444"/><ellipse cx="72" cy="70" rx="16" ry="8" fill="#f6c445"/>
      <ellipse cx="72" cy="70" rx="6" ry="5" fill="#f29b1d"/><ellipse cx="104" cy="88" rx="16" ry="8" fill="#fff6e5"/>
      <ellipse cx="104" cy="88" rx="6" ry="5" fill="#f29b1d"/>`)
  },
  {
    id: 'board', name: 'Oak Cutting Board', category: 'Kitchen', priceCents: 3900, tint: '#efe5d3',
    blurb: 'End-grain European oak, oiled, 40 × 25 cm.',
    art: svg(`${shadow}<rect x="34" y="44" width="132" height="82" rx="14" fill="#c8955c"/>
      <rect x="150" y="74" width="28" height="22" rx="11" fill="#c8955c"/><circle cx="166" cy="85" r="5" fill="#efe5d3"/>
      <path d="M46 64 C80 56 110 72 150 62 M46 84 C86 78 112 92 150 82 M46 104 C76 98 116 112 150 104" fill="none" stroke="#a8743f" stroke-width="2.5"/>
      <rect x="34" y="44" width="132" height="82" rx="14" fill="none" stroke="#a8743f" stroke-width="3"/>`)
  },
  {
    id: 'carafe', name: 'Glass Water Carafe', category: 'Table', priceCents: 2600, tint: '#dfeeea',
    blurb: 'Mouth-blown borosilicate, 1 litre, with a beech stopper.',
    art: svg(`${shadow}<path d="M88 22 h24 v34 C140 70 146 92 146 106 C146 124 132 132 100 132 C68 132 54 124 54 106 C54 92 60 70 88 56 Z" fill="#cfe8e2" stroke="#7fb3a7" stroke-width="3"/>
      <path d="M60 100 C80 94 120 106 140 98 C142 120 130 128 100 128 C70 128 58 120 60 100 Z" fill="#7fc4d8" opacity=".7"/>
      <rect x="90" y="12" width="20" height="16" rx="4" fill="#c8955c"/><path d="M72 74 C66 84 64 94 66 102" stroke="#fff" stroke-width="4" fill="none" stroke-linecap="round" opacity=".8"/>`)
  },
  {
    id: 'bowls', name: 'Nesting Bowl Set', category: 'Table', priceCents: 3400, tint: '#f4e9e1',
    blurb: 'Three porcelain bowls in sunrise colours, dishwasher safe.',
    art: svg(`${shadow}<path d="M34 92 h132 C162 118 136 132 100 132 C64 132 38 118 34 92 Z" fill="#e7a977"/>
      <path d="M48 74 h104 C150 96 128 108 100 108 C72 108 50 96 48 74 Z" fill="#e98b6d"/>
      <path d="M62 56 h76 C136 74 120 84 100 84 C80 84 64 74 62 56 Z" fill="#d9655b"/>
      <ellipse cx="100" cy="56" rx="38" ry="6" fill="#b84c44"/>`)
  },
  {
    id: 'apron', name: 'Linen Apron', category: 'Home', priceCents: 3200, tint: '#e7ebdf',
    blurb: 'Stonewashed linen, cross-back straps, two deep pockets.',
    art: svg(`${shadow}<path d="M78 16 C78 30 82 36 82 44 M122 16 C122 30 118 36 118 44" stroke="#6f7d5c" stroke-width="4" fill="none"/>
      <path d="M80 40 h40 l6 26 C140 70 150 72 152 80 L146 132 H54 L48 80 C50 72 60 70 74 66 Z" fill="#8a9a72"/>
      <rect x="68" y="92" width="28" height="22" rx="3" fill="#7a8a63"/><rect x="104" y="92" width="28" height="22" rx="3" fill="#7a8a63"/>
      <path d="M44 78 C30 82 28 92 32 100 M156 78 C170 82 172 92 168 100" stroke="#6f7d5c" stroke-width="4" fill="none"/>`)
  },
  {
    id: 'candle', name: 'Beeswax Candle', category: 'Home', priceCents: 1800, tint: '#f6eed8',
    blurb: 'Pure beeswax in a reusable amber jar, 40 hours.',
    art: svg(`${shadow}<rect x="66" y="64" width="68" height="68" rx="10" fill="#c9822b" opacity=".9"/>
      <rect x="66" y="64" width="68" height="14" rx="6" fill="#f3d27a"/><line x1="100" y1="64" x2="100" y2="52" stroke="#333" stroke-width="2"/>
      <path d="M100 24 C112 38 110 50 100 52 C90 50 88 38 100 24 Z" fill="#f6a623"/><path d="M100 36 C105 42 104 48 100 49 C96 48 95 42 100 36 Z" fill="#fff1b8"/>
      <rect x="76" y="92" width="48" height="22" rx="3" fill="#f6eed8" opacity=".85"/><path d="M84 103 h32" stroke="#c9822b" stroke-width="3"/>`)
  },
  {
    id: 'plant', name: 'Terracotta Planter', category: 'Home', priceCents: 2200, tint: '#e5eedf',
    blurb: 'Unglazed terracotta with saucer, 15 cm, plant not included.',
    art: svg(`${shadow}<path d="M100 76 C92 50 70 40 56 42 C62 60 80 72 100 76 Z" fill="#5f9a5a"/>
      <path d="M100 76 C106 46 126 30 146 32 C140 54 122 70 100 76 Z" fill="#6fb069"/><path d="M100 78 C98 56 100 36 104 20 C112 40 108 62 100 78 Z" fill="#4f8a4b"/>
      <path d="M64 76 h72 l-10 56 h-52 Z" fill="#cf7148"/><rect x="58" y="70" width="84" height="14" rx="3" fill="#b95f38"/>`)
  },
  {
    id: 'throw', name: 'Wool Throw Blanket', category: 'Home', priceCents: 8900, tint: '#ece4ef',
    blurb: 'Lambswool, 130 × 180 cm, woven in a small mill.',
    art: svg(`${shadow}<path d="M36 56 h128 v68 a8 8 0 0 1 -8 8 H44 a8 8 0 0 1 -8 -8 Z" fill="#8e6fa6"/>
      <path d="M36 56 h128 v20 H36 Z" fill="#a78bbd"/><path d="M36 90 h128 M36 104 h128 M36 118 h128" stroke="#cdb9dc" stroke-width="4"/>
      <path d="M44 132 v8 M54 132 v8 M64 132 v8 M74 132 v8 M126 132 v8 M136 132 v8 M146 132 v8 M156 132 v8" stroke="#8e6fa6" stroke-width="3"/>`)
  },
  {
    id: 'grinder', name: 'Hand Coffee Grinder', category: 'Kitchen', priceCents: 5900, tint: '#ebe2d8',
    blurb: 'Ceramic burrs, 15 grind settings, walnut knob.',
    art: svg(`${shadow}<rect x="76" y="56" width="48" height="76" rx="8" fill="#9a9a9a"/><rect x="76" y="86" width="48" height="8" fill="#7d7d7d"/>
      <rect x="94" y="36" width="12" height="22" fill="#777"/><path d="M100 40 L150 30" stroke="#555" stroke-width="6" stroke-linecap="round"/>
      <circle cx="152" cy="30" r="9" fill="#6b4a31"/><rect x="76" y="108" width="48" height="24" rx="6" fill="#6b4a31"/>`)
  }
]

const BY_ID = new Map(PRODUCTS.map((p) => [p.id, p]))

/** The product, or undefined for an id this build does not know (an older or newer catalogue). */
export function productById (id: string): Product | undefined {
  return BY_ID.get(id)
}

/** A display name for any item id, known or not. */
export function productName (id: string): string {
  return BY_ID.get(id)?.name ?? `Unknown item “${id}”`
}

const PRICE = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' })

export function formatPrice (cents: number): string {
  return PRICE.format(cents / 100)
}
