/** A release as `npm run package` describes it to the krew manifest writer: the tests' sample. */
import type { KrewRelease } from '../../.ci/release/krew.ts';

export const SAMPLE_KREW_RELEASE: KrewRelease = {
  name: 'trigger-gateway',
  version: 'v1.2.3',
  homepage: 'https://example.com/trigger-gateway',
  shortDescription: 'Expose Tekton Triggers',
  description: 'Longer text.\n',
  caveats: 'Completion needs the other file.\n',
  platforms: ['amd64', 'arm64'].map((arch) => ({
    os: 'linux',
    arch,
    uri: `https://example.com/releases/v1.2.3/tg_linux_${arch}.tar.gz`,
    sha256: 'a'.repeat(64),
    bin: 'kubectl-trigger_gateway',
  })),
};
