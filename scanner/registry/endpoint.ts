/** Where a registry named in a reference is spoken to, and over which scheme. */
import { registryApiHost } from '../oci/reference';

function hostname(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(0, hostPort.indexOf(']') + 1);
  const colon = hostPort.lastIndexOf(':');
  return colon === -1 ? hostPort : hostPort.slice(0, colon);
}

/** Loopback as Docker treats it: plain HTTP is acceptable there because traffic never leaves the machine. */
export function isLoopback(hostPort: string): boolean {
  const host = hostname(hostPort).toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export class RegistryEndpoints {
  private readonly insecure: Set<string>;

  /** `insecure` lists `host[:port]` values from --insecure-registry. */
  constructor(insecure: Iterable<string> = []) {
    this.insecure = new Set([...insecure].map((h) => h.toLowerCase()));
  }

  /** True when plain HTTP may be used for this host[:port]. */
  allowsPlainHttp(hostPort: string): boolean {
    const key = hostPort.toLowerCase();
    return isLoopback(key) || this.insecure.has(key) || this.insecure.has(hostname(key));
  }

  baseUrl(registry: string): URL {
    const host = registryApiHost(registry);
    return new URL(`${this.allowsPlainHttp(host) ? 'http' : 'https'}://${host}`);
  }

  /** Redirects and token realms may go elsewhere, but never to plain HTTP on a host that must use TLS. */
  allowsUrl(url: URL): boolean {
    return url.protocol === 'https:' || (url.protocol === 'http:' && this.allowsPlainHttp(url.host));
  }
}
