/** kcp's status conditions (with severity on False ones), keeping transition times of unchanged ones. */
import { isObject, timestamp } from '../json.ts';

export interface Condition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  /** Set only when status is False: Error, Warning or Info. */
  severity?: 'Error' | 'Warning' | 'Info';
  lastTransitionTime: string;
}

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

/** The conditions after applying `updates` to `current` (a status.conditions value of any shape). */
export function setConditions(current: unknown, updates: ConditionUpdate[]): Condition[] {
  const existing = (Array.isArray(current) ? current : []).filter(isObject) as unknown as Condition[];
  const merged = (update: ConditionUpdate): Condition => {
    const before = existing.find((c) => c.type === update.type);
    const lastTransitionTime =
      before && before.status === update.status ? before.lastTransitionTime : timestamp();
    return { ...update, lastTransitionTime };
  };
  const kept = existing.map((c) => {
    const update = updates.find((u) => u.type === c.type);
    return update ? merged(update) : c;
  });
  const added = updates.filter((u) => !existing.some((c) => c.type === u.type)).map(merged);
  return [...kept, ...added];
}
