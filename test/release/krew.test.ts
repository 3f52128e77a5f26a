import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  krewArchiveProblems,
  krewManifest,
  krewManifestProblems,
  krewManifestYaml,
} from '../../.ci/release/krew.ts';
import { SAMPLE_KREW_RELEASE } from '../support/krew-release.ts';

const RELEASE = SAMPLE_KREW_RELEASE;

/** The manifest with one field changed, as parsed YAML. */
function withSpec(change: (spec: Record<string, unknown>) => void): unknown {
  const manifest = structuredClone(krewManifest(RELEASE)) as { spec: Record<string, unknown> };
  change(manifest.spec);
  return manifest;
}
const platform0 = (spec: Record<string, unknown>) => (spec.platforms as Record<string, unknown>[])[0]!;

describe('krew plugin manifest', () => {
  it('renders YAML that krew accepts, copying the executable and LICENSE per platform', () => {
    const manifest = load(krewManifestYaml(RELEASE));
    expect(krewManifestProblems('trigger-gateway', manifest)).toEqual([]);
    expect(manifest).toMatchObject({
      metadata: { name: 'trigger-gateway' },
      spec: {
        platforms: [
          {
            selector: { matchLabels: { os: 'linux', arch: 'amd64' } },
            bin: 'kubectl-trigger_gateway',
            files: [
              { from: 'kubectl-trigger_gateway', to: '.' },
              { from: 'LICENSE', to: '.' },
            ],
          },
          { selector: { matchLabels: { os: 'linux', arch: 'arm64' } } },
        ],
      },
    });
  });

  it.each([
    [
      'a name that is not the file name',
      'other-name',
      krewManifest(RELEASE),
      /metadata.name must be other-name/,
    ],
    ['an unsafe name', 'con', withSpec(() => {}), /not allowed/],
    ['a version without v', 'trigger-gateway', withSpec((s) => (s.version = '1.2.3')), /v-prefixed semantic/],
    [
      'a two-line short description',
      'trigger-gateway',
      withSpec((s) => (s.shortDescription = 'a\nb')),
      /one line/,
    ],
    ['no platforms', 'trigger-gateway', withSpec((s) => (s.platforms = [])), /platforms is empty/],
    ['a bad sha256', 'trigger-gateway', withSpec((s) => (platform0(s).sha256 = 'ABC')), /sha256 must be 64/],
    ['no uri', 'trigger-gateway', withSpec((s) => delete platform0(s).uri), /uri is missing/],
    [
      'two platforms selecting the same os and arch',
      'trigger-gateway',
      withSpec(
        (s) => ((s.platforms as Record<string, unknown>[])[1]!.selector = { matchLabels: { arch: 'amd64' } }),
      ),
      /spec.platforms\[0\] and spec.platforms\[1\] both select linux\/amd64/,
    ],
    [
      'a selector no platform krew supports matches',
      'trigger-gateway',
      withSpec((s) => (platform0(s).selector = { matchLabels: { os: 'plan9' } })),
      /matches no platform krew supports/,
    ],
    ['no bin', 'trigger-gateway', withSpec((s) => delete platform0(s).bin), /bin is missing/],
    ['empty files', 'trigger-gateway', withSpec((s) => (platform0(s).files = [])), /left out or non-empty/],
    [
      'a selector on another label',
      'trigger-gateway',
      withSpec((s) => (platform0(s).selector = { matchLabels: { distro: 'debian' } })),
      /only use os and arch/,
    ],
    [
      'another apiVersion',
      'trigger-gateway',
      { ...krewManifest(RELEASE), apiVersion: 'v1' },
      /apiVersion must be/,
    ],
  ])('names %s', (_name, fileName, manifest, problem) => {
    expect(krewManifestProblems(fileName, manifest).join('\n')).toMatch(problem);
  });

  it('needs the executable and a LICENSE in every archive', () => {
    expect(krewArchiveProblems({ bin: 'kubectl-x' }, ['kubectl-x', 'LICENSE'])).toEqual([]);
    expect(krewArchiveProblems({ bin: 'kubectl-x' }, ['README.md'])).toEqual([
      'the archive has no kubectl-x',
      'the archive has no LICENSE',
    ]);
  });
});
