import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where this package is installed: the folder holding package.json and manifests/. Found by walking up
 * from this module, because it sits at different depths in src/, in dist/ and in dist/chunks/.
 */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'manifests'))) return dir;
    if (dirname(dir) === dir) throw new Error(`package.json and manifests/ not found above ${start}`);
  }
}
