/**
 * Exit codes are part of the interface: scripts branch on them. Documented in the README.
 */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  environment: 3,
  unreachable: 4,
  unauthorized: 5,
  forbidden: 6,
  clusterState: 7,
  timeout: 8,
  /** The gateway pods refused the change (they crashed on it), and it was rolled back. */
  rolledBack: 9,
  /** Ctrl-C, as shells report a SIGINT exit. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface GatewayErrorDetails {
  /** Why it happened, in the user's terms. */
  why?: string;
  /** Commands or actions that fix it, most likely first. */
  next?: string[];
  exitCode?: ExitCodeValue;
  cause?: unknown;
}

/** An error the user can act on: what happened, why, and what to run next. */
export class GatewayError extends Error {
  readonly why: string | undefined;
  readonly next: string[];
  readonly exitCode: ExitCodeValue;

  constructor(message: string, details: GatewayErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'GatewayError';
    this.why = details.why;
    this.next = details.next ?? [];
    this.exitCode = details.exitCode ?? ExitCode.unexpected;
  }
}

/** Bad flag or argument values: exit 2, like a parse error. */
export function usageError(message: string, why?: string, next: string[] = []): GatewayError {
  return new GatewayError(message, { why, next, exitCode: ExitCode.usage });
}

export function formatGatewayError(error: GatewayError): string {
  const lines = [`error: ${error.message}`];
  if (error.why) lines.push(`  why: ${error.why}`);
  for (const step of error.next) lines.push(`  try: ${step}`);
  return `${lines.join('\n')}\n`;
}
