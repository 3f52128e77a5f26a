import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeTarget } from './kubeconfig.ts';

/** What a request tried to do, in the words `kubectl auth can-i` uses. */
export interface RequestDescription {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
  resource: string;
  name?: string | undefined;
  namespace?: string | undefined;
}

/** A non-2xx answer from the API server, with its Status body. */
export class KubeHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${code}`);
    this.name = 'KubeHttpError';
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
  /** A cause's type travels as `reason` (metav1.StatusCause). */
  details?: { causes?: Array<{ reason?: string }> };
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

function statusOf(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return statusOf(JSON.parse(body));
    } catch {
      return { message: body };
    }
  }
  return typeof body === 'object' && body !== null ? (body as StatusBody) : {};
}

/** The first `code` found along an error's cause chain (undici wraps socket errors in "fetch failed"). */
function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (candidate.name === 'TimeoutError' || candidate.name === 'AbortError') return 'ETIMEDOUT';
    if (typeof candidate.code === 'string') return candidate.code;
    current = candidate.cause;
  }
  return undefined;
}

function describeTarget(request: RequestDescription): string {
  const what = request.name ? `${request.resource}/${request.name}` : request.resource;
  return request.namespace ? `${what} in namespace ${request.namespace}` : what;
}

/** The API server's answer behind an error a request threw: its HTTP code and Status, if it had one. */
export function apiStatusOf(error: unknown): { code: number; message: string; reason?: string } | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof KubeHttpError) {
      const status = statusOf(current.body);
      return {
        code: current.code,
        message: status.message ?? `HTTP ${current.code}`,
        ...(status.reason ? { reason: status.reason } : {}),
      };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function fromHttpError(
  error: { code: number; body: unknown },
  target: KubeTarget,
  request: RequestDescription,
) {
  const explained = explainHttpError(error, target, request);
  return new GatewayError(explained.message, {
    why: explained.why,
    next: explained.next,
    exitCode: explained.exitCode,
    cause: error,
  });
}

function explainHttpError(
  error: { code: number; body: unknown },
  target: KubeTarget,
  request: RequestDescription,
) {
  const status = statusOf(error.body);
  const serverSays = status.message ?? `HTTP ${error.code}`;
  const ctx = `--context ${target.contextName}`;
  switch (error.code) {
    case 401:
      return new GatewayError(
        `the cluster rejected your credentials (401 Unauthorized) in context "${target.contextName}"`,
        {
          why: 'the token or client certificate for this context is missing, expired or revoked',
          next: [`kubectl ${ctx} auth whoami`, 'log in again to refresh the kubeconfig credentials'],
          exitCode: ExitCode.unauthorized,
        },
      );
    case 403: {
      // NamespaceLifecycle's 403: no permission is missing, the namespace is on its way out.
      if (status.details?.causes?.some((cause) => cause.reason === 'NamespaceTerminating')) {
        const namespace = request.namespace ?? 'the namespace';
        return new GatewayError(`namespace ${namespace} is being deleted`, {
          why: `${serverSays}; Kubernetes removes everything in it before the namespace itself goes`,
          next: [
            `kubectl ${ctx} wait --for=delete namespace/${namespace} --timeout=5m`,
            'then run the same command again',
          ],
          exitCode: ExitCode.clusterState,
        });
      }
      const ns = request.namespace ? ` -n ${request.namespace}` : '';
      return new GatewayError(`not allowed to ${request.verb} ${describeTarget(request)} (403 Forbidden)`, {
        why: serverSays,
        next: [
          `kubectl ${ctx} auth can-i ${request.verb} ${request.resource}${ns}`,
          `ask a cluster admin for a Role that grants "${request.verb}" on ${request.resource}`,
        ],
        exitCode: ExitCode.forbidden,
      });
    }
    case 404:
      return new GatewayError(`${describeTarget(request)} was not found`, {
        why: serverSays,
        exitCode: ExitCode.clusterState,
      });
    case 409:
      return new GatewayError(`could not ${request.verb} ${describeTarget(request)}: ${serverSays}`, {
        why: 'someone else changed it at the same moment, or it is owned by another tool',
        next: ['run the command again'],
        exitCode: ExitCode.clusterState,
      });
    default:
      if (error.code >= 500) {
        return new GatewayError(
          `the API server failed to ${request.verb} ${describeTarget(request)} (${error.code})`,
          {
            why: serverSays,
            next: ['run the command again in a moment', `kubectl ${ctx} get --raw /readyz?verbose`],
            exitCode: ExitCode.unreachable,
          },
        );
      }
      return new GatewayError(
        `the API server refused to ${request.verb} ${describeTarget(request)} (${error.code})`,
        {
          why: serverSays,
          ...admissionNextSteps(serverSays, ctx),
          exitCode: ExitCode.clusterState,
        },
      );
  }
}

/** Where to look when the cluster's own admission rules refused a request. */
function admissionNextSteps(serverSays: string, ctx: string): { next?: string[] } {
  if (serverSays.includes('ValidatingAdmissionPolicy'))
    return { next: [`kubectl ${ctx} get validatingadmissionpolicies,validatingadmissionpolicybindings`] };
  if (serverSays.includes('admission webhook'))
    return { next: [`kubectl ${ctx} get validatingwebhookconfigurations,mutatingwebhookconfigurations`] };
  return {};
}

/** Turns anything a request can throw into an error that says what, why and what next. */
export function explainKubeError(
  error: unknown,
  target: KubeTarget,
  request: RequestDescription,
): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof KubeHttpError) return fromHttpError(error, target, request);
  const code = errorCode(error);
  const where = `the cluster at ${target.server} (context "${target.contextName}")`;
  const clusterInfo = `kubectl --context ${target.contextName} cluster-info`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new GatewayError(`cannot reach ${where}: its host name does not resolve`, {
      why: `DNS lookup failed (${code}); the address in the kubeconfig may be wrong or a VPN may be down`,
      next: [clusterInfo, 'check the server address: kubectl config view --minify'],
      exitCode: ExitCode.unreachable,
      cause: error,
    });
  }
  if (code && TLS_CODES.has(code)) {
    return new GatewayError(`cannot reach ${where}: the TLS handshake failed (${code})`, {
      why: "the server's certificate is not trusted by the kubeconfig's certificate-authority, or names another host",
      next: [
        clusterInfo,
        'check certificate-authority-data for this cluster: kubectl config view --minify --raw',
      ],
      exitCode: ExitCode.unreachable,
      cause: error,
    });
  }
  if (code && TIMEOUT_CODES.has(code)) {
    const limit = target.requestTimeoutMs > 0 ? ` within ${target.requestTimeoutMs / 1000}s` : '';
    return new GatewayError(`${where} did not answer${limit}`, {
      why: 'the API server is overloaded, or the network path to it drops packets',
      next: [clusterInfo, 'raise the limit, e.g. --request-timeout=2m'],
      exitCode: ExitCode.unreachable,
      cause: error,
    });
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    return new GatewayError(
      `cannot reach ${where}: ${code === 'ECONNREFUSED' ? 'connection refused' : code}`,
      {
        why: 'nothing answers at that address: the cluster may be stopped, or the kubeconfig points at an old address',
        next: [clusterInfo],
        exitCode: ExitCode.unreachable,
        cause: error,
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError(`could not ${request.verb} ${describeTarget(request)}: ${message}`, {
    exitCode: ExitCode.unexpected,
    cause: error,
  });
}
