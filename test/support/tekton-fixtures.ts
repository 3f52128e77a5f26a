/**
 * The Tekton Triggers objects recorded from the real controller by test/real/tekton-fixtures.ts, for
 * unit tests of what the plugin reads in them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../src/manifests/types.ts';

export type TektonFixture =
  'github-listener' | 'gitlab-listener' | 'selected-triggers' | 'not-ready-listener';

export function tektonObjects(fixture: TektonFixture): KubeObject[] {
  const file = join(import.meta.dirname, 'fixtures/tekton', `${fixture}.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { objects: KubeObject[] }).objects;
}

/** The recorded object of that kind (and name, when several). */
export function recordedObject<T extends KubeObject>(fixture: TektonFixture, kind: string, name?: string): T {
  const found = tektonObjects(fixture).find(
    (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
  );
  if (!found) throw new Error(`fixture ${fixture} has no ${kind} ${name ?? ''}`);
  return structuredClone(found) as T;
}
