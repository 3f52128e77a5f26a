/** The patch content types and applying the non-apply ones (apply is server-side-apply.ts). */
import type { Json, JsonObject } from '../json.ts';
import { isObject } from '../json.ts';
import type { ApiRequest } from '../request.ts';
import type { ResourceType } from '../resources.ts';
import type { Schema } from '../schema.ts';
import { ApiError, unsupportedMediaType } from '../status.ts';
import { applyJsonPatch, JsonPatchError } from './json-patch.ts';
import { applyMergePatch } from './merge-patch.ts';
import { applyStrategicMergePatch } from './strategic-merge.ts';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** The request's patch type; 415 for anything the resource does not accept. */
export function patchType(req: ApiRequest, type: ResourceType): string {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const accepted = [
    JSON_PATCH,
    MERGE_PATCH,
    APPLY_PATCH,
    ...(type.strategicMerge ? [STRATEGIC_MERGE_PATCH] : []),
  ];
  if (!accepted.includes(contentType)) throw unsupportedMediaType(accepted);
  return contentType;
}

/** Applies a JSON, merge or strategic merge patch; a failing JSON patch is 422 like the real server. */
export function applyPatch(contentType: string, document: JsonObject, patch: Json, schema: Schema): Json {
  try {
    if (contentType === JSON_PATCH) return applyJsonPatch(document, patch);
    if (contentType === MERGE_PATCH) return applyMergePatch(document, patch);
    return applyStrategicMergePatch(document, isObject(patch) ? patch : {}, schema);
  } catch (error) {
    if (error instanceof JsonPatchError) throw new ApiError(422, 'Invalid', error.message);
    throw error;
  }
}
