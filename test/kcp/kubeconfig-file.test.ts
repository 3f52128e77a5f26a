import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { editKubeconfig, readKubeconfigs } from '../../src/kcp/kubeconfig-file.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tg-kubeconfig-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: kcp
    cluster:
      server: https://kcp:6443/clusters/root
      certificate-authority: ca/kcp.crt
users:
  - name: me
    user:
      token: abc
contexts:
  - name: kcp
    context:
      cluster: kcp
      user: me
current-context: kcp
`;

describe('editKubeconfig', () => {
  it('writes the edit back, keeps the permissions, and leaves no lock or temporary file', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, KUBECONFIG, { mode: 0o640 });
    await editKubeconfig(file, (document) => {
      document['current-context'] = 'other';
    });
    const written = load(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(written['current-context']).toBe('other');
    expect(written.users).toEqual([{ name: 'me', user: { token: 'abc' } }]);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['config']);
  });

  it('edits the file a symlink points at and keeps the symlink', async () => {
    const real = join(dir, 'real-config');
    const link = join(dir, 'config');
    writeFileSync(real, KUBECONFIG, { mode: 0o600 });
    symlinkSync(real, link);
    await editKubeconfig(link, (document) => {
      document['current-context'] = 'other';
    });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect((load(readFileSync(real, 'utf8')) as Record<string, unknown>)['current-context']).toBe('other');
  });

  it('waits for a lock another program holds, then names the lock file', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, KUBECONFIG);
    writeFileSync(`${file}.lock`, '');
    const error = await editKubeconfig(file, () => undefined).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).message).toMatch(/is locked by another program/);
    expect((error as GatewayError).next.join('\n')).toContain(`rm ${file}.lock`);
    expect(readFileSync(file, 'utf8')).toBe(KUBECONFIG);
    expect(existsSync(`${file}.lock`)).toBe(true);
  });

  it('refuses a file that is not YAML, and changes nothing', async () => {
    const file = join(dir, 'config');
    writeFileSync(file, 'clusters: [unclosed');
    await expect(editKubeconfig(file, () => undefined)).rejects.toThrow(/is not valid YAML/);
    expect(readFileSync(file, 'utf8')).toBe('clusters: [unclosed');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('readKubeconfigs', () => {
  it('makes relative certificate paths of other files absolute, so entries copied from them still work', () => {
    const first = join(dir, 'first');
    const second = join(dir, 'sub', 'second');
    writeFileSync(first, KUBECONFIG);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(second, KUBECONFIG);
    const [firstDocument, secondDocument] = readKubeconfigs([first, second], first);
    expect(firstDocument?.clusters?.[0]?.cluster?.['certificate-authority']).toBe('ca/kcp.crt');
    expect(secondDocument?.clusters?.[0]?.cluster?.['certificate-authority']).toBe(
      join(dir, 'sub', 'ca', 'kcp.crt'),
    );
  });
});
