/**
 * The krew plugin manifest for a release, and the checks krew applies to one, as krew v0.4.3's
 * validate-krew-manifest does them (test/real/krew-install.test.ts holds the two side by side):
 * apiVersion, kind, a safe name equal to the file name, a one-line short description, a v-prefixed
 * semantic version, per platform a uri, a sha256, a bin, file operations and an os/arch selector that
 * matches a platform krew supports, no two platforms selecting the same os/arch; plus krew-index's
 * rule that every archive carries its LICENSE into the installation.
 */
import { dump } from 'js-yaml';

export const KREW_API_VERSION = 'krew.googlecontainertools.github.com/v1alpha2';

export interface KrewPlatform {
  os: string;
  arch: string;
  uri: string;
  sha256: string;
  /** The executable inside the archive. */
  bin: string;
}

export interface KrewRelease {
  name: string;
  /** v-prefixed, as krew requires. */
  version: string;
  homepage: string;
  shortDescription: string;
  description: string;
  caveats: string;
  platforms: KrewPlatform[];
}

/** The manifest as krew reads it. Each platform copies its executable and LICENSE, nothing else. */
export function krewManifest(release: KrewRelease): Record<string, unknown> {
  return {
    apiVersion: KREW_API_VERSION,
    kind: 'Plugin',
    metadata: { name: release.name },
    spec: {
      version: release.version,
      homepage: release.homepage,
      shortDescription: release.shortDescription,
      description: release.description,
      caveats: release.caveats,
      platforms: release.platforms.map((platform) => ({
        selector: { matchLabels: { os: platform.os, arch: platform.arch } },
        uri: platform.uri,
        sha256: platform.sha256,
        bin: platform.bin,
        files: [
          { from: platform.bin, to: '.' },
          { from: 'LICENSE', to: '.' },
        ],
      })),
    },
  };
}

export function krewManifestYaml(release: KrewRelease): string {
  return dump(krewManifest(release), { lineWidth: 100, noRefs: true });
}

const SAFE_NAME = /^[\w-]+$/;
const WINDOWS_RESERVED = /^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])$/i;
const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const SHA256 = /^[a-f0-9]{64}$/;

/** The os/arch pairs krew installs on (validate-krew-manifest's list). */
export const KREW_PLATFORMS: ReadonlyArray<{ os: string; arch: string }> = [
  ...['386', 'amd64', 'arm64'].map((arch) => ({ os: 'windows', arch })),
  ...['386', 'amd64', 'arm', 'arm64'].map((arch) => ({ os: 'linux', arch })),
  ...['386', 'amd64', 'arm64'].map((arch) => ({ os: 'darwin', arch })),
];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every way `manifest` (parsed YAML, read from `<fileName>.yaml`) breaks krew's rules; empty when valid. */
export function krewManifestProblems(fileName: string, manifest: unknown): string[] {
  if (!isRecord(manifest)) return ['the manifest is not a YAML mapping'];
  const problems: string[] = [];
  if (manifest.apiVersion !== KREW_API_VERSION) problems.push(`apiVersion must be ${KREW_API_VERSION}`);
  if (manifest.kind !== 'Plugin') problems.push('kind must be Plugin');
  const name = isRecord(manifest.metadata) ? manifest.metadata.name : undefined;
  if (!SAFE_NAME.test(fileName) || WINDOWS_RESERVED.test(fileName))
    problems.push(`the plugin name ${fileName} is not allowed`);
  if (name !== fileName) problems.push(`metadata.name must be ${fileName}, as the file is named`);
  const spec = isRecord(manifest.spec) ? manifest.spec : {};
  const short = spec.shortDescription;
  if (typeof short !== 'string' || short === '') problems.push('spec.shortDescription is missing');
  else if (/[\r\n]/.test(short)) problems.push('spec.shortDescription must be one line');
  if (typeof spec.version !== 'string' || !SEMVER.test(spec.version))
    problems.push(`spec.version ${String(spec.version)} is not a v-prefixed semantic version`);
  const platforms = Array.isArray(spec.platforms) ? spec.platforms : [];
  if (platforms.length === 0) problems.push('spec.platforms is empty');
  const selectedBy = new Map<string, number>();
  platforms.forEach((platform: unknown, index) => {
    const at = `spec.platforms[${index}]`;
    if (!isRecord(platform)) return void problems.push(`${at} is not a mapping`);
    // krew asks only for a uri; our releases are served over https (see packageRelease).
    if (typeof platform.uri !== 'string' || platform.uri === '') problems.push(`${at}.uri is missing`);
    if (typeof platform.sha256 !== 'string' || !SHA256.test(platform.sha256))
      problems.push(`${at}.sha256 must be 64 lowercase hex digits`);
    if (typeof platform.bin !== 'string' || platform.bin === '') problems.push(`${at}.bin is missing`);
    const files = platform.files;
    if (files !== undefined) {
      if (!Array.isArray(files) || files.length === 0)
        problems.push(`${at}.files must be left out or non-empty`);
      else if (
        !files.every(
          (op) =>
            isRecord(op) && typeof op.from === 'string' && op.from && typeof op.to === 'string' && op.to,
        )
      )
        problems.push(`${at}.files: every entry needs from and to`);
    }
    const labels = isRecord(platform.selector) ? platform.selector.matchLabels : undefined;
    if (!isRecord(labels) || Object.keys(labels).length === 0)
      problems.push(`${at}.selector.matchLabels is empty`);
    else if (Object.keys(labels).some((key) => key !== 'os' && key !== 'arch'))
      problems.push(`${at}.selector may only use os and arch`);
    else {
      const selected = selectedPlatforms(labels);
      if (selected.length === 0) problems.push(`${at}.selector matches no platform krew supports`);
      for (const pair of selected) {
        const key = `${pair.os}/${pair.arch}`;
        const first = selectedBy.get(key);
        if (first === undefined) selectedBy.set(key, index);
        else problems.push(`spec.platforms[${first}] and ${at} both select ${key}`);
      }
    }
  });
  return problems;
}

function selectedPlatforms(labels: Record<string, unknown>): Array<{ os: string; arch: string }> {
  return KREW_PLATFORMS.filter(
    (pair) =>
      (labels.os === undefined || labels.os === pair.os) &&
      (labels.arch === undefined || labels.arch === pair.arch),
  );
}

/** What is wrong with one platform's archive (its file names): bin and LICENSE must be in it. */
export function krewArchiveProblems(platform: { bin: string }, archiveFiles: string[]): string[] {
  const problems: string[] = [];
  if (!archiveFiles.includes(platform.bin)) problems.push(`the archive has no ${platform.bin}`);
  if (!archiveFiles.includes('LICENSE')) problems.push('the archive has no LICENSE');
  return problems;
}
