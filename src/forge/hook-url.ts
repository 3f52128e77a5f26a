/** The URL a hook is registered with: the gateway's public base plus the route's path. Pure. */

/** https://hooks.example.com/ + /github = https://hooks.example.com/github (a base path is kept). */
export function hookUrlFor(base: string, path: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
  url.search = '';
  url.hash = '';
  return url.href;
}

/** The route a hook URL leads to under `base` (/github), or undefined when it points elsewhere. */
export function routeOfHookUrl(base: string, hookUrl: string): string | undefined {
  let hook: URL;
  try {
    hook = new URL(hookUrl);
  } catch {
    return undefined;
  }
  const root = new URL(base);
  if (hook.origin !== root.origin) return undefined;
  const prefix = root.pathname.replace(/\/+$/, '');
  if (hook.pathname !== prefix && !hook.pathname.startsWith(`${prefix}/`)) return undefined;
  return hook.pathname.slice(prefix.length) || '/';
}

/** Whether two hook URLs are the same, as providers compare them (a trailing slash aside). */
export const sameHookUrl = (a: string, b: string) => {
  const normal = (text: string) => {
    try {
      return new URL(text).href.replace(/\/+$/, '');
    } catch {
      return text;
    }
  };
  return normal(a) === normal(b);
};
