/**
 * A provider-neutral delivery for EventListeners without a provider interceptor: a flat JSON event, a
 * delivery ID, and, with a secret, a GitHub-style HMAC in X-Signature-256.
 */
import type { ProviderFormat } from '../provider-format.ts';

export const generic: ProviderFormat = {
  provider: 'generic',
  events: ['push'],
  defaultRepositoryUrl: 'https://git.example.com/example/app.git',
  defaultRef: () => 'refs/heads/main',
  idHeader: 'X-Delivery-ID',
  eventHeader: undefined,
  signing: { kind: 'hmac', headers: [{ name: 'X-Signature-256', algorithm: 'sha256' }] },
  headers: (_event, { id }) => ({
    'User-Agent': 'kubectl-trigger-gateway',
    'Content-Type': 'application/json',
    'X-Delivery-ID': id,
  }),
  sampleBody: (event, sample) => ({
    event,
    ref: sample.ref,
    before: sample.before,
    sha: sample.sha,
    repository: {
      name: sample.repository.name,
      full_name: sample.repository.path,
      clone_url: sample.repository.cloneUrl,
      html_url: sample.repository.htmlUrl,
    },
    sender: sample.sender,
    timestamp: sample.timestamp,
  }),
};
