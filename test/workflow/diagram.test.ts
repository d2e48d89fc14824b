import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SaxesParser } from 'saxes';
import { loadWorkflows } from '../../src/workflow/engine.ts';
import { compileProcess } from '../../src/workflow/definitions.ts';
import { renderDiagram } from '../../src/workflow/diagram.ts';

const wf = loadWorkflows();

/** Parses with a strict XML parser; returns the elements seen. */
function parse(svg: string): { name: string; attributes: Record<string, string>; text: string }[] {
  const parser = new SaxesParser({ xmlns: true });
  const out: { name: string; attributes: Record<string, string>; text: string }[] = [];
  const stack: (typeof out)[number][] = [];
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (t) => {
    const el = { name: t.local, attributes: Object.fromEntries(Object.entries(t.attributes).map(([k, v]) => [k, (v as any).value])), text: '' };
    out.push(el);
    stack.push(el);
  });
  parser.on('text', (t) => {
    for (const el of stack) el.text += t;
  });
  parser.on('closetag', () => stack.pop());
  parser.write(svg).close();
  return out;
}

test('every process draws as well-formed SVG with all its states, in Thai by default', () => {
  for (const p of wf.processes.values()) {
    const svg = renderDiagram(p);
    const els = parse(svg);
    assert.equal(els[0]!.name, 'svg');
    const states = els.filter((e) => e.attributes['data-state']).map((e) => e.attributes['data-state']);
    assert.deepEqual(states.sort(), p.def.states.map((s) => s.name).sort());
    for (const s of p.def.states) {
      const g = els.find((e) => e.attributes['data-state'] === s.name)!;
      assert.ok(g.text.includes(s.label.th), `${s.name} shows its Thai label`);
    }
    assert.equal(svg, renderDiagram(p), 'deterministic');
    assert.ok(parse(renderDiagram(p, { lang: 'en' })).some((e) => e.text.includes(p.def.states[0]!.label.en)));
  }
});

test('the current state and the path taken are highlighted', () => {
  const p = wf.get('publication');
  const events = [
    { from_state: null, to_state: 'owner_review' },
    { from_state: 'owner_review', to_state: 'cdo_review' },
    { from_state: 'cdo_review', to_state: 'dpo_review' },
  ];
  const els = parse(renderDiagram(p, { current: 'dpo_review', events }));
  const current = els.filter((e) => /\bcurrent\b/.test(e.attributes.class ?? ''));
  assert.deepEqual(current.map((e) => e.attributes['data-state']), ['dpo_review']);
  const visited = els.filter((e) => /\bvisited\b/.test(e.attributes.class ?? '')).map((e) => e.attributes['data-state']).sort();
  assert.deepEqual(visited, ['cdo_review', 'dpo_review', 'owner_review']);
  assert.equal(els.filter((e) => e.name === 'path' && /\btaken\b/.test(e.attributes.class ?? '')).length, 2);
});

test('labels are escaped', () => {
  const def = JSON.parse(JSON.stringify(wf.get('publication').def));
  def.states[0].label = { th: 'รอ <script>alert("x")</script> & ต่อ', en: "O'Brien <b>" };
  const svg = renderDiagram(compileProcess(def), { current: 'owner_review' });
  assert.ok(!svg.includes('<script>'));
  const els = parse(svg);
  assert.ok(els.find((e) => e.attributes['data-state'] === 'owner_review')!.text.includes('<script>alert("x")</script> & ต่อ'));
  assert.ok(!els.some((e) => e.name === 'script'));
});
