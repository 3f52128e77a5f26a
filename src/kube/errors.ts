import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeTarget } from './kubeconfig.ts';
import { describeProxy, hostAndPort, proxyCredentials } from './proxy.ts';
import { RequestTimeoutError } from './transport.ts';
import { ProxyError } from './tunnel.ts';

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
export function errorCode(error: unknown): string | undefined {
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

const seconds = (ms: number) => `${ms / 1000}s`;

const SOCKS_REPLIES: Record<number, string> = {
  1: 'general failure',
  2: 'not allowed by its rules',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
  0xfe: 'it refused the user name and password',
  0xff: 'it accepts none of the authentication methods offered',
};

/** A proxy that cannot be reached or will not tunnel; `where` is what the tunnel was for. */
export function explainProxyError(error: ProxyError, where: string): GatewayError {
  const proxy = describeProxy(error.proxy);
  const { host } = hostAndPort(new URL(`http://${error.destination}`));
  const checkProxy =
    error.proxy.source === 'proxy-url'
      ? "check the cluster's proxy-url: kubectl config view --minify"
      : `check ${error.proxy.source}, or send ${host} past the proxy: NO_PROXY=${host}`;
  const details = (message: string, why: string, next: string[]) =>
    new GatewayError(message, { why, next, exitCode: ExitCode.unreachable, cause: error });
  const { failure } = error;
  if (failure.kind === 'unreachable') {
    if (TLS_CODES.has(failure.code)) {
      return details(
        `the TLS handshake with the proxy ${proxy} failed (${failure.code})`,
        "the proxy's certificate is trusted neither by this system nor by the cluster's certificate-authority",
        [checkProxy],
      );
    }
    const reason =
      failure.code === 'ENOTFOUND' || failure.code === 'EAI_AGAIN'
        ? 'its host name does not resolve'
        : failure.code === 'ECONNREFUSED'
          ? 'connection refused'
          : failure.code;
    return details(
      `cannot reach the proxy ${proxy}: ${reason}`,
      `requests to ${where} go through this proxy, and it cannot be reached at its address`,
      [checkProxy],
    );
  }
  if (failure.kind === 'socks') {
    return details(
      `the SOCKS5 proxy ${proxy} did not open a connection to ${error.destination}: ${SOCKS_REPLIES[failure.reply] ?? `reply ${failure.reply}`}`,
      `requests to ${where} go through this proxy`,
      [checkProxy],
    );
  }
  const status = `${failure.status} ${failure.statusText}`.trim();
  if (failure.status === 407) {
    const given = proxyCredentials(error.proxy) !== undefined;
    return details(
      `the proxy ${proxy} wants credentials to open a tunnel to ${error.destination} (${status})`,
      given
        ? 'it refused the user name and password in the proxy URL'
        : 'the proxy URL carries no user name and password',
      [
        error.proxy.source === 'proxy-url'
          ? 'put them in the proxy-url: kubectl config set-cluster NAME --proxy-url=http://USER:PASSWORD@HOST:PORT'
          : `put them in the proxy URL: ${error.proxy.source}=${error.proxy.url.protocol}//USER:PASSWORD@${error.proxy.url.host} (percent-encode special characters)`,
      ],
    );
  }
  if (failure.status === 403) {
    return details(
      `the proxy ${proxy} does not allow a tunnel to ${error.destination} (${status})`,
      'its rules do not allow connections to that host and port',
      [`ask the proxy's administrators to allow CONNECT to ${error.destination}`, checkProxy],
    );
  }
  return details(
    `the proxy ${proxy} could not open a tunnel to ${error.destination} (${status})`,
    `it could not resolve or reach ${where} from where it is`,
    [checkProxy],
  );
}

/** No answer within --request-timeout: from the server, or from the proxy before the tunnel was open. */
export function explainTimeout(
  error: RequestTimeoutError,
  where: string,
  doing: string,
  next: string[],
): GatewayError {
  const limit = seconds(error.timeoutMs);
  const raise = 'raise the limit, e.g. --request-timeout=2m';
  if (error.stuckAt) {
    return new GatewayError(
      `the proxy ${describeProxy(error.stuckAt)} did not open a tunnel within ${limit}: ${doing}`,
      {
        why: `requests to ${where} go through this proxy, and it did not answer within --request-timeout (${limit})`,
        next: [
          error.stuckAt.source === 'proxy-url'
            ? "check the cluster's proxy-url: kubectl config view --minify"
            : `check ${error.stuckAt.source}`,
          raise,
        ],
        exitCode: ExitCode.unreachable,
        cause: error,
      },
    );
  }
  return new GatewayError(`${where} did not answer within ${limit}: ${doing}`, {
    why: `no answer came within --request-timeout (${limit}); the server is overloaded, or the network path to it drops packets`,
    next: [...next, raise],
    exitCode: ExitCode.unreachable,
    cause: error,
  });
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
    case 429:
      return new GatewayError(
        `the API server is too busy to ${request.verb} ${describeTarget(request)} (429)`,
        {
          why: `${serverSays}; it kept asking to come back later (API Priority and Fairness sheds load), beyond what --request-timeout allows`,
          next: [
            'run the command again in a moment',
            'or wait longer for each request: --request-timeout=2m',
          ],
          exitCode: ExitCode.unreachable,
        },
      );
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
  if (error instanceof ProxyError) return explainProxyError(error, where);
  if (error instanceof RequestTimeoutError)
    return explainTimeout(error, where, `${request.verb} ${describeTarget(request)}`, [clusterInfo]);
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
    // The network's own time-out (a connect the kernel gave up on), not --request-timeout.
    return new GatewayError(`${where} did not answer: ${request.verb} ${describeTarget(request)}`, {
      why: `the connection timed out (${code}); the API server is overloaded, or the network path to it drops packets`,
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
