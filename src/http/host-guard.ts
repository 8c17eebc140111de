// The Host header check of pgdr's HTTP endpoints (`pgdr serve`, the agent's /healthz and /state). Bound to a
// loopback address they answer loopback host names only: a web page elsewhere cannot rebind a name of its own
// to 127.0.0.1 and read what they serve through the operator's browser (DNS rebinding).

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)$/i;

/** An address (or name) that only this host can reach. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Whether a request with this Host header may be answered by a server bound to `bindHost`. */
export function hostHeaderAllowed(bindHost: string, header: string | undefined): boolean {
  return !isLoopbackHost(bindHost) || isLoopbackHost(hostName(header));
}

export const HOST_REFUSED = 'this server answers loopback host names only';

function hostName(header: string | undefined): string {
  if (!header) return '';
  const m = /^(\[[^\]]*\]|[^:]+)(:\d+)?$/.exec(header.trim());
  return m ? m[1]! : '';
}
