import fs from 'node:fs';
import path from 'node:path';
import type { Quad } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';
import env from 'rdf-validate-shacl/src/defaultEnv.js';
import { parseTurtle } from '../../src/dcat/serialize.ts';

export const SHAPES_FILE = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'shacl', 'dcat-ap-3.0.1', 'dcat-ap-SHACL.ttl');

let validator: { validate(d: unknown): Promise<{ conforms: boolean; results: Array<{ message: Array<{ value: string }>; path: { value: string } | null; focusNode: { value: string } | null; severity: { value: string } }> }> } | null = null;

/** Violations of the DCAT-AP 3.0.1 shapes (severity Violation only), as readable lines. */
export async function shaclViolations(quads: Quad[]): Promise<string[]> {
  validator ??= new SHACLValidator(env.dataset(parseTurtle(fs.readFileSync(SHAPES_FILE, 'utf8'))), { factory: env });
  const report = await validator!.validate(env.dataset(quads));
  return report.results
    .filter((r) => r.severity.value.endsWith('#Violation'))
    .map((r) => `${r.focusNode?.value} ${r.path?.value ?? ''}: ${r.message.map((m) => m.value).join('; ')}`);
}
