/**
 * Reading a webhook secret out of a Secret, for signing a test delivery or for comparing the secret a
 * user gave with the one an interceptor reads. The value never leaves as text: only key names and
 * Secret names appear in messages.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import type { KubeObject } from '../manifests/types.ts';
import type { SecretLocation } from '../tekton/interceptors.ts';

/** The key an EventListener's secretRef names by convention; --secret-from's default. */
export const SECRET_KEY = 'secretToken';

export type SecretRead =
  | { found: 'value'; value: string }
  | { found: 'no-secret' }
  | { found: 'no-key'; keys: string[] }
  | { found: 'forbidden'; error: GatewayError };

/** The Secret's key, decoded; what is missing, or the 403 (any other failure is thrown). */
export async function readSecretKey(kube: KubeClient, at: SecretLocation): Promise<SecretRead> {
  let secret: (KubeObject & { data?: Record<string, string> }) | undefined;
  try {
    secret = await kube.read({ apiVersion: 'v1', kind: 'Secret', name: at.name, namespace: at.namespace });
  } catch (error) {
    if (error instanceof GatewayError && apiStatusOf(error)?.code === 403)
      return { found: 'forbidden', error };
    throw error;
  }
  if (!secret) return { found: 'no-secret' };
  const value = secret.data?.[at.key];
  if (value === undefined) return { found: 'no-key', keys: Object.keys(secret.data ?? {}) };
  return { found: 'value', value: Buffer.from(value, 'base64').toString('utf8') };
}

/** Who reads the Secret, for messages; a key the user named (--secret-from) is a usage error when missing. */
export interface SecretReader {
  reader: string;
  /** How else to sign. */
  alternative: string[];
  keyFromUser: boolean;
}

/** The secret, or an error naming what is missing and the fix; nothing is sent after it. */
export async function requireSecretKey(
  kube: KubeClient,
  at: SecretLocation,
  { reader, alternative, keyFromUser }: SecretReader,
): Promise<string> {
  const read = await readSecretKey(kube, at);
  const where = `${at.namespace}/${at.name}`;
  switch (read.found) {
    case 'value':
      return read.value;
    case 'no-secret':
      throw new GatewayError(`secret ${where} does not exist`, {
        why: `${reader} reads the webhook secret from it; nothing was sent`,
        next: [
          `create it: kubectl -n ${at.namespace} create secret generic ${at.name} --from-literal=${at.key}=<the webhook secret>`,
          ...alternative,
        ],
        exitCode: ExitCode.clusterState,
      });
    case 'no-key':
      // Key names only: the values are secrets.
      throw new GatewayError(`secret ${where} has no key ${at.key}`, {
        why: `${reader} reads that key; its keys are: ${read.keys.join(', ') || 'none'}; nothing was sent`,
        next: keyFromUser
          ? alternative
          : [
              `add it: kubectl -n ${at.namespace} patch secret ${at.name} --type merge -p '{"stringData":{"${at.key}":"<the webhook secret>"}}'`,
              ...alternative,
            ],
        exitCode: keyFromUser ? ExitCode.usage : ExitCode.clusterState,
      });
    case 'forbidden':
      throw new GatewayError(`not allowed to read secret ${where} (403 Forbidden)`, {
        why: `${reader} reads the webhook secret from it, and test signs with that secret; nothing was sent`,
        next: [`kubectl -n ${at.namespace} auth can-i get secrets/${at.name}`, ...alternative],
        exitCode: ExitCode.forbidden,
        cause: read.error,
      });
  }
}

/** --secret-from NAME[:KEY]: a Secret in the backend's namespace, named by the user. */
export const secretFromReader = (name: string): SecretReader => ({
  reader: "--secret-from (a Secret in the backend's namespace)",
  alternative: [`pass the key: --secret-from ${name}:KEY`],
  keyFromUser: true,
});
