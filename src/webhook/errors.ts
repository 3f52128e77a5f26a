/**
 * What a user can get wrong when building a test delivery: the provider, the event, the sample options,
 * the payload file or the secret. Each says what happened, why, and what to do; none repeats a secret.
 */
import { ExitCode, GatewayError } from '../errors.ts';

/** Long user input is cut in messages: a mistyped flag can put anything into a provider or event name. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

export class UnknownProviderError extends GatewayError {
  constructor(name: string, providers: readonly string[]) {
    super(`unknown webhook provider ${quoted(name)}`, {
      why: `the providers are ${providers.join(', ')}`,
      next: [`pick one of: ${providers.join(', ')}`],
      exitCode: ExitCode.usage,
    });
    this.name = 'UnknownProviderError';
  }
}

export class UnknownEventError extends GatewayError {
  constructor(provider: string, event: string, events: readonly string[]) {
    super(`${provider} has no event ${quoted(event)}`, {
      why: `the ${provider} events are ${events.join(', ')}`,
      next: [`pick one of: ${events.join(', ')}`],
      exitCode: ExitCode.usage,
    });
    this.name = 'UnknownEventError';
  }
}

/** A sample option (repository URL, ref, sha, sender) the sample body cannot be built from. */
export class InvalidSampleError extends GatewayError {
  constructor(message: string, hint: string) {
    super(message, { why: hint, exitCode: ExitCode.usage });
    this.name = 'InvalidSampleError';
  }
}

/** Where in the payload a JSON syntax error is: 1-based line and column, 0-based byte offset. */
export interface PayloadLocation {
  line: number;
  column: number;
  byte: number;
  /** At most a few dozen characters around the error, never the whole file. */
  excerpt: string;
}

export class InvalidPayloadError extends GatewayError {
  readonly location: PayloadLocation | undefined;

  constructor(source: string, problem: string, location: PayloadLocation | undefined, next: string[]) {
    const where = location
      ? ` at line ${location.line}, column ${location.column} (byte ${location.byte})`
      : '';
    super(`${source} ${problem}${where}`, {
      why: location
        ? `the text there: ${JSON.stringify(location.excerpt)}`
        : 'a payload is sent byte for byte, so it must already be the UTF-8 JSON a provider would send',
      next,
      exitCode: ExitCode.usage,
    });
    this.name = 'InvalidPayloadError';
    this.location = location;
  }
}

/** A secret that cannot be used; the message describes it and never contains it. */
export class InvalidSecretError extends GatewayError {
  constructor(message: string, why: string) {
    super(message, {
      why,
      next: [
        'check the value stored in the webhook Secret',
        'or omit the secret to send an unsigned delivery',
      ],
      exitCode: ExitCode.usage,
    });
    this.name = 'InvalidSecretError';
  }
}
