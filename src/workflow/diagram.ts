import type { Lang } from '../actions/errors.ts';
import type { CompiledProcess } from './definitions.ts';
import type { CaseEvent } from './types.ts';

/**
 * A process as server-rendered SVG, readable without JavaScript: states are boxes in layers by
 * breadth-first depth from the start, transitions are labelled arrows (forward edges go down to the
 * next layer; edges within a layer run through the gap below it; edges back to an earlier layer go
 * up a lane right of every box, so no arrow crosses a box). The current state and the
 * path the case took are highlighted. The layout depends on the definition only, so a process always
 * draws the same way.
 */
export interface DiagramOptions {
  lang?: Lang;
  current?: string;
  events?: readonly Pick<CaseEvent, 'from_state' | 'to_state'>[];
}

const BOX_W = 184;
const BOX_H = 58;
const GAP_X = 36;
const GAP_Y = 84;
const MARGIN = 24;
const FONT = 12;
const EDGE_FONT = 10.5;

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

// Thai above/below vowels and tone marks take no width of their own.
const COMBINING = /[\u0E31\u0E34-\u0E3A\u0E47-\u0E4E]/gu;

function textWidth(s: string, size: number): number {
  return [...s.replace(COMBINING, '')].length * size * 0.56;
}

/** Splits a label into lines that fit the box, breaking between Thai words (Intl.Segmenter). */
function wrap(text: string, maxWidth: number, size: number, maxLines = 3): string[] {
  const words = [...new Intl.Segmenter('th', { granularity: 'word' }).segment(text)].map((s) => s.segment);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && textWidth(line + w, size) > maxWidth) {
      lines.push(line.trim());
      line = w.trimStart();
    } else {
      line += w;
    }
  }
  if (line.trim()) lines.push(line.trim());
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = `${kept[maxLines - 1]}…`;
    return kept;
  }
  return lines;
}

interface Node {
  name: string;
  depth: number;
  x: number;
  y: number;
}

export function renderDiagram(proc: CompiledProcess, opts: DiagramOptions = {}): string {
  const lang = opts.lang ?? 'th';
  const label = (m: { th: string; en: string }) => (lang === 'en' ? m.en : m.th);

  // Layers by breadth-first depth, in the order the file lists transitions.
  const depth = new Map<string, number>();
  const order: string[] = [];
  const first = proc.start.routes[0]!.to;
  const queue = [first];
  depth.set(first, 0);
  while (queue.length) {
    const s = queue.shift()!;
    order.push(s);
    for (const t of proc.outgoing.get(s) ?? []) {
      for (const r of t.routes) {
        if (!depth.has(r.to)) {
          depth.set(r.to, depth.get(s)! + 1);
          queue.push(r.to);
        }
      }
    }
  }
  const layers: string[][] = [];
  for (const s of order) (layers[depth.get(s)!] ??= []).push(s);
  const widest = Math.max(...layers.map((l) => l.length));
  const contentW = widest * BOX_W + (widest - 1) * GAP_X;
  const nodes = new Map<string, Node>();
  const top = MARGIN + 40; // room for the start dot
  layers.forEach((layer, d) => {
    const w = layer.length * BOX_W + (layer.length - 1) * GAP_X;
    const x0 = MARGIN + (contentW - w) / 2;
    layer.forEach((name, i) => nodes.set(name, { name, depth: d, x: x0 + i * (BOX_W + GAP_X), y: top + d * (BOX_H + GAP_Y) }));
  });

  // Edges, one per (from, to) pair; labels of parallel transitions are joined.
  const edges = new Map<string, { from: string; to: string; labels: string[] }>();
  for (const [from, ts] of proc.outgoing) {
    for (const t of ts) {
      for (const r of t.routes) {
        const key = `${from}\u0000${r.to}`;
        const e = edges.get(key) ?? { from, to: r.to, labels: [] };
        if (!e.labels.includes(label(t.label))) e.labels.push(label(t.label));
        edges.set(key, e);
      }
    }
  }
  const taken = new Set((opts.events ?? []).filter((e) => e.from_state).map((e) => `${e.from_state}\u0000${e.to_state}`));
  const visited = new Set((opts.events ?? []).flatMap((e) => [e.from_state, e.to_state].filter((s): s is string => !!s)));
  if (opts.current) visited.add(opts.current);

  const rightmost = MARGIN + contentW;
  let backLane = 0;
  let widestLaneLabel = 0;
  const sameGap = new Map<number, number>();
  const into = new Map<string, number>();
  const edgeSvg: string[] = [];
  const labelSvg: string[] = [];
  for (const e of edges.values()) {
    const a = nodes.get(e.from)!;
    const b = nodes.get(e.to)!;
    const on = taken.has(`${e.from}\u0000${e.to}`);
    const full = e.labels.join(' / ');
    const text = textWidth(full, EDGE_FONT) > 196 ? wrap(full, 190, EDGE_FONT, 1)[0]! : full;
    const w = textWidth(text, EDGE_FONT) + 8;
    let d: string;
    let lx: number;
    let ly: number;
    let anchor = 'middle';
    if (b.depth > a.depth) {
      // Breadth-first depth puts every forward edge between neighbouring layers.
      const x1 = a.x + BOX_W / 2;
      const y1 = a.y + BOX_H;
      const x2 = b.x + BOX_W / 2;
      const y2 = b.y;
      d = `M${n(x1)},${n(y1)} C${n(x1)},${n(y1 + GAP_Y / 2)} ${n(x2)},${n(y2 - GAP_Y / 2)} ${n(x2)},${n(y2 - 1)}`;
      // The label sits near the target, where edges fanning out of one state are apart; edges meeting
      // in one target stagger theirs along the curve.
      const k = into.get(e.to) ?? 0;
      into.set(e.to, k + 1);
      const t = Math.max(0.2, 0.68 - k * 0.24);
      lx = cubic(x1, x1, x2, x2, t);
      ly = cubic(y1, y1 + GAP_Y / 2, y2 - GAP_Y / 2, y2, t);
    } else if (b.depth === a.depth) {
      // Same layer: down into the gap below, along it, up into the target.
      const k = sameGap.get(a.depth) ?? 0;
      sameGap.set(a.depth, k + 1);
      const gy = a.y + BOX_H + 12 + k * 8;
      const x1 = a.x + BOX_W * 0.72;
      const x2 = b.x + BOX_W * 0.28;
      d = `M${n(x1)},${n(a.y + BOX_H)} L${n(x1)},${n(gy)} L${n(x2)},${n(gy)} L${n(x2)},${n(b.y + BOX_H + 1)}`;
      lx = (x1 + x2) / 2;
      ly = gy;
    } else {
      // Back to an earlier layer: through the gap below, up a lane right of every box, into the target's top.
      const k = backLane++;
      const lane = rightmost + 24 + k * 14;
      const x1 = a.x + BOX_W - 24;
      const y1 = a.y + BOX_H;
      const gy1 = y1 + GAP_Y * 0.42 + (k % 4) * 5;
      const x2 = b.x + BOX_W - 24 - (k % 3) * 8;
      const gy2 = b.y - GAP_Y * 0.22 - k * 4;
      d = `M${n(x1)},${n(y1)} L${n(x1)},${n(gy1)} L${n(lane)},${n(gy1)} L${n(lane)},${n(gy2)} L${n(x2)},${n(gy2)} L${n(x2)},${n(b.y - 1)}`;
      // The label rides the first leg, just below the source, clear of the labels near targets.
      lx = x1 + 4;
      ly = gy1;
      anchor = 'start';
      widestLaneLabel = Math.max(widestLaneLabel, k * 14, lx + w - rightmost);
    }
    edgeSvg.push(`<path class="edge${on ? ' taken' : ''}" d="${d}" fill="none" stroke="${on ? '#0b6e4f' : '#8a94a6'}" stroke-width="${on ? 2.6 : 1.2}" marker-end="url(#${on ? 'arrow-on' : 'arrow'})"><title>${escapeXml(full)}</title></path>`);
    const rx = anchor === 'start' ? lx - 2 : lx - w / 2;
    labelSvg.push(
      `<g class="edge-label"><rect x="${n(rx)}" y="${n(ly - 8)}" width="${n(w)}" height="15" rx="3" fill="#ffffff" fill-opacity="0.92"/>` +
        `<text x="${n(anchor === 'start' ? lx + 2 : lx)}" y="${n(ly + 3.5)}" text-anchor="${anchor}" font-size="${EDGE_FONT}" fill="${on ? '#0b6e4f' : '#44506a'}">${escapeXml(text)}</text></g>`,
    );
  }

  const nodeSvg: string[] = [];
  for (const s of proc.def.states) {
    const node = nodes.get(s.name);
    if (!node) continue;
    const current = s.name === opts.current;
    const seen = visited.has(s.name);
    const fill = current ? '#0b6e4f' : seen ? '#e3f4ec' : s.terminal ? '#f3f4f7' : '#ffffff';
    const stroke = current || seen ? '#0b6e4f' : '#5b6478';
    const color = current ? '#ffffff' : '#1b2233';
    const lines = wrap(label(s.label), BOX_W - 16, FONT);
    const y0 = node.y + BOX_H / 2 - ((lines.length - 1) * (FONT + 3)) / 2 + FONT / 3;
    const tspans = lines.map((l, i) => `<tspan x="${n(node.x + BOX_W / 2)}" y="${n(y0 + i * (FONT + 3))}">${escapeXml(l)}</tspan>`).join('');
    nodeSvg.push(
      `<g class="state${current ? ' current' : ''}${seen ? ' visited' : ''}${s.terminal ? ' terminal' : ''}" data-state="${escapeXml(s.name)}">` +
        `<title>${escapeXml(`${label(s.label)} (${s.name})`)}</title>` +
        `<rect x="${n(node.x)}" y="${n(node.y)}" width="${BOX_W}" height="${BOX_H}" rx="${s.terminal ? 22 : 6}" fill="${fill}" stroke="${stroke}" stroke-width="${current ? 3 : s.terminal ? 2 : 1.4}"/>` +
        `<text text-anchor="middle" font-size="${FONT}" fill="${color}"${current ? ' font-weight="bold"' : ''}>${tspans}</text></g>`,
    );
  }

  const firstNode = nodes.get(first)!;
  const sx = firstNode.x + BOX_W / 2;
  const startSvg =
    `<g class="start"><circle cx="${n(sx)}" cy="${MARGIN + 6}" r="6" fill="#1b2233"/>` +
    `<path d="M${n(sx)},${MARGIN + 12} L${n(sx)},${n(firstNode.y - 2)}" stroke="#1b2233" stroke-width="1.4" marker-end="url(#arrow)"/>` +
    `<text x="${n(sx + 10)}" y="${MARGIN + 26}" font-size="${EDGE_FONT}" fill="#44506a">${escapeXml(label(proc.start.label))}</text></g>`;

  const width = Math.ceil(rightmost + 24 + widestLaneLabel + 8 + MARGIN);
  const height = Math.ceil(top + layers.length * (BOX_H + GAP_Y) - GAP_Y + MARGIN);
  const title = escapeXml(label(proc.def.label));
  const marker = (id: string, color: string) =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="process-diagram" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="pd-title" font-family="Sarabun, 'Noto Sans Thai', sans-serif">` +
    `<title id="pd-title">${title}</title>` +
    `<defs>${marker('arrow', '#8a94a6')}${marker('arrow-on', '#0b6e4f')}</defs>` +
    startSvg +
    edgeSvg.join('') +
    nodeSvg.join('') +
    labelSvg.join('') +
    `</svg>`
  );
}

function cubic(p0: number, p1: number, p2: number, p3: number, t: number): number {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

function n(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}
