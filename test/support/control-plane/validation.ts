/** Object name rules and generateName, with the real validation messages. */
import { randomInt } from 'node:crypto';
import type { NameRule } from './resources.ts';

const RULES: Record<NameRule, { re: RegExp; max: number; message: string }> = {
  subdomain: {
    re: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    max: 253,
    message:
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  },
  label: {
    re: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    max: 63,
    message:
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  },
  dns1035: {
    re: /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
    max: 63,
    message:
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  },
  // kcp's Workspace CRD declares a pattern on metadata.name; this is its schema validation message.
  workspace: {
    re: /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/,
    max: 63,
    message: "metadata.name in body should match '^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'",
  },
};

/** Returns the validation message for a bad name, or undefined when the name is valid. */
export function nameProblem(name: string, rule: NameRule): string | undefined {
  const { re, max, message } = RULES[rule];
  if (name.length > max) return `must be no more than ${max} characters`;
  return re.test(name) ? undefined : message;
}

// The alphabet Kubernetes uses for generated suffixes (no vowels, no confusable digits).
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** Encodes a hash like rand.SafeEncodeString does for pod-template-hash. */
export function safeEncode(hash: number): string {
  let out = '';
  for (const ch of String(hash)) out += ALPHABET[ch.charCodeAt(0) % ALPHABET.length];
  return out;
}
