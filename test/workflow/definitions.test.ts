import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileProcess, loadProcessDir, PROCESSES_DIR, WorkflowDefinitionError } from '../../src/workflow/definitions.ts';
import { compileCondition } from '../../src/workflow/conditions.ts';
import { isThaiId } from '../../src/workflow/inputs.ts';

const base = () => JSON.parse(fs.readFileSync(path.join(PROCESSES_DIR, 'publication.json'), 'utf8'));

test('the shipped process files load: publication, information request, data-subject request', () => {
  const all = loadProcessDir();
  assert.deepEqual([...all.keys()].sort(), ['agreement', 'annual_review', 'data_policy', 'information_request', 'linkage', 'publication', 'registration', 'subject_request']);
  for (const p of all.values()) {
    assert.ok(p.def.label.th && p.def.label.en);
    for (const s of p.def.states) assert.ok(s.label.th && s.label.en, s.name);
  }
  // Every approval step offers approve and reject.
  for (const p of all.values()) {
    for (const [state, ts] of p.outgoing) {
      const names = ts.map((t) => t.name);
      if (names.includes('approve')) assert.ok(names.includes('reject'), `${p.def.name}.${state} has approve without reject`);
    }
  }
});

function problems(mutate: (d: any) => void): string[] {
  const d = base();
  mutate(d);
  try {
    compileProcess(d, 'test.json');
  } catch (e) {
    assert.ok(e instanceof WorkflowDefinitionError);
    return e.problems;
  }
  return [];
}

test('a transition to an unknown state is a startup error naming it', () => {
  const p = problems((d) => (d.transitions[0].to = 'nowhere'));
  assert.ok(p.some((x) => x.includes('unknown state "nowhere"')), p.join('\n'));
});

test('an unreachable state is a startup error', () => {
  const p = problems((d) => d.states.push({ name: 'island', label: { th: 'เกาะ', en: 'Island' }, terminal: true }));
  assert.ok(p.some((x) => x.includes('"island" is unreachable')), p.join('\n'));
});

test('duplicate transition and state names are startup errors', () => {
  const p = problems((d) => {
    d.transitions.push({ ...d.transitions[0] });
    d.states.push({ ...d.states[0] });
  });
  assert.ok(p.some((x) => x.includes('duplicate transition "approve" from "owner_review"')), p.join('\n'));
  assert.ok(p.some((x) => x.includes('duplicate state "owner_review"')), p.join('\n'));
});

test('unknown roles, bad conditions, missing labels, routes without a default and dead ends are reported together', () => {
  const p = problems((d) => {
    d.transitions[0].roles = ['mayor'];
    d.transitions[2].to = [{ when: 'category is personal', to: 'dpo_review' }];
    d.transitions[1].guards = [{ when: 'category resembles personal' }];
    d.states[0].label = { th: 'x' };
    d.transitions = d.transitions.filter((t: any) => t.from !== 'revision');
  });
  assert.ok(p.some((x) => x.includes('unknown role "mayor"')));
  assert.ok(p.some((x) => x.includes('last route must have no "when"')));
  assert.ok(p.some((x) => x.includes('cannot read condition')));
  assert.ok(p.some((x) => x.includes('label needs th and en')));
  assert.ok(p.some((x) => x.includes('"revision" is not terminal but has no way out')));
});

test('not_before must join two date inputs of the same step', () => {
  const p = problems((d) => {
    d.start.inputs = [...(d.start.inputs ?? []), { name: 'ends', type: 'date', label: { th: 'ถึง', en: 'To' }, not_before: 'starts' }];
  });
  assert.ok(p.some((x) => x.includes('input "ends": not_before must join two date inputs')), p.join('\n'));
});

test('a folder with a broken file fails to load with the file named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wf-'));
  fs.writeFileSync(path.join(dir, 'a.json'), '{ not json');
  assert.throws(() => loadProcessDir(dir), /Invalid workflow definition a\.json/);
  fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify(base()));
  fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify(base()));
  assert.throws(() => loadProcessDir(dir), /duplicate process name "publication"/);
  fs.rmSync(dir, { recursive: true });
});

test('conditions: is, is not, in, not in, and; list facts match on any item', () => {
  const c = compileCondition('category in [important, confidential] and input.outcome is not cancel');
  assert.equal(c({ facts: { category: 'confidential' }, input: {} }), true);
  assert.equal(c({ facts: { category: ['general', 'important'] }, input: {} }), true);
  assert.equal(c({ facts: { category: 'general' }, input: {} }), false);
  assert.equal(c({ facts: { category: 'important' }, input: { outcome: 'cancel' } }), false);
  assert.equal(compileCondition('has_data_dictionary is true')({ facts: { has_data_dictionary: true }, input: {} }), true);
  assert.equal(compileCondition('category not in [personal]')({ facts: {}, input: {} }), true);
});

test('every role key has Thai and English names; states waiting for a role', async () => {
  const { ROLE_KEYS, ROLE_LABELS } = await import('../../src/workflow/types.ts');
  for (const k of ROLE_KEYS) assert.ok(ROLE_LABELS[k]?.th && ROLE_LABELS[k]?.en, k);
  const { loadWorkflows } = await import('../../src/workflow/engine.ts');
  const wf = loadWorkflows();
  assert.deepEqual(wf.statesWaitingFor(['dpo']).map((s) => `${s.process}.${s.state}`).sort(), [
    'data_policy.dpo_review', 'information_request.dpo_decision', 'publication.dpo_review', 'subject_request.delivery', 'subject_request.dpo_review', 'subject_request.verification',
  ]);
  assert.ok(!wf.statesWaitingFor(['creator']).some((s) => s.state === 'owner_analysis'), 'withdrawing is optional');
});

test('inputs without a stated maximum are still bounded', async () => {
  const { validateInputs } = await import('../../src/workflow/inputs.ts');
  const defs = [
    { name: 'note', type: 'text' as const, label: { th: 'หมายเหตุ', en: 'Note' } },
    { name: 'tags', type: 'string_list' as const, label: { th: 'ป้าย', en: 'Tags' } },
  ];
  const { errors } = validateInputs(defs, { note: 'ก'.repeat(20001), tags: Array.from({ length: 1001 }, (_, i) => `t${i}`) }, {});
  assert.match(errors.note![0]!.en, /between 0 and 20000 characters/);
  assert.match(errors.tags![0]!.th, /ต้องมี 0 ถึง 1000 รายการ/);
  assert.deepEqual(validateInputs(defs, { note: ' ok ', tags: 'a, b\nc', junk: 1 }, {}).values, { note: 'ok', tags: ['a', 'b', 'c'] });
});

test('Thai citizen id check digit', () => {
  assert.equal(isThaiId('1101700230708'), true);
  assert.equal(isThaiId('1101700230705'), false);
  assert.equal(isThaiId('110170023070'), false);
});

test('rule 6 classes from the standard category and level: the union, never laxer than the data', async () => {
  const { governanceClasses } = await import('../../src/workflow/categories.ts');
  assert.deepEqual(governanceClasses([{ data_category: 'ข้อมูลสาธารณะ', data_classification: 'เปิดเผย' }]), ['general']);
  assert.deepEqual(governanceClasses([{ data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' }]), ['personal']);
  assert.deepEqual(governanceClasses([{ data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' }, { data_category: 'ข้อมูลสาธารณะ' }]), ['confidential', 'personal']);
  assert.deepEqual(governanceClasses([{ data_category: 'ข้อมูลความมั่นคง', data_classification: 'ลับที่สุด' }]), ['confidential', 'security']);
  assert.deepEqual(governanceClasses([{ data_category: 'ข้อมูลใช้ภายใน', important: true }]), ['important']);
  assert.deepEqual(governanceClasses([{ data_category: 'อะไรก็ไม่รู้' }]), ['confidential']);
});
