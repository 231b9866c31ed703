/**
 * The smallest stand-in for a registry with the OCI 1.1 referrers API:
 * Debian's docker-registry (distribution 2.8) lacks it, so this proxy on
 * 127.0.0.1 forwards every request to one, remembers each manifest PUT through
 * it that has a `subject`, and answers `GET /v2/<name>/referrers/<digest>`
 * with an image index of those, as the distribution spec says.
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';

export interface ReferrersRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  /** Every request seen, as `METHOD /path`. */
  requests: string[];
  stop(): Promise<void>;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
}

export async function startReferrersRegistry(upstream: string): Promise<ReferrersRegistry> {
  const target = new URL(upstream);
  const referrers = new Map<string, Descriptor[]>();
  const requests: string[] = [];

  const remember = (name: string, body: Buffer, contentType: string | undefined) => {
    let manifest: { subject?: { digest?: string }; artifactType?: string; config?: { mediaType?: string }; mediaType?: string };
    try {
      manifest = JSON.parse(body.toString('utf8')) as typeof manifest;
    } catch {
      return;
    }
    const subject = manifest.subject?.digest;
    if (!subject) return;
    const key = `${name}@${subject}`;
    const list = referrers.get(key) ?? [];
    list.push({
      mediaType: manifest.mediaType ?? contentType ?? 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
      size: body.length,
      ...((manifest.artifactType ?? manifest.config?.mediaType)
        ? { artifactType: manifest.artifactType ?? manifest.config!.mediaType! }
        : {}),
    });
    referrers.set(key, list);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    const asked = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (asked && req.method === 'GET') {
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: referrers.get(`${asked[1]}@${asked[2]}`) ?? [],
      });
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.index.v1+json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const body = await buffer(req);
    const put = /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(url.pathname);
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (upstreamRes) => {
        if (put && req.method === 'PUT' && (upstreamRes.statusCode ?? 0) < 300) remember(put[1]!, body, req.headers['content-type']);
        // Redirects of blob uploads point at the upstream: rewrite them to come back through here.
        const headers = { ...upstreamRes.headers };
        if (typeof headers.location === 'string') headers.location = headers.location.replace(target.origin, `http://${host}`);
        res.writeHead(upstreamRes.statusCode ?? 502, headers);
        upstreamRes.pipe(res);
      },
    );
    forwarded.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    forwarded.end(body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `http://${host}`,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Pushes a small artifact with the distribution API (blobs, then the manifest):
 * an OCI image manifest with `artifactType`, an empty config, one payload layer,
 * and a `subject` when given. Returns the manifest's digest.
 */
export async function pushArtifact(
  registryUrl: string,
  repository: string,
  options: { artifactType: string; payload: string; subject?: { digest: string; mediaType: string; size: number }; tag?: string },
): Promise<string> {
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const empty = Buffer.from('{}');
  const payload = Buffer.from(options.payload);
  for (const blob of [empty, payload]) {
    const started = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    if (started.status !== 202) throw new Error(`blob upload start: HTTP ${started.status}`);
    const location = new URL(started.headers.get('location')!, registryUrl);
    location.searchParams.set('digest', sha(blob));
    const done = await fetch(location, { method: 'PUT', body: blob, headers: { 'Content-Type': 'application/octet-stream' } });
    if (done.status !== 201) throw new Error(`blob upload: HTTP ${done.status} ${await done.text()}`);
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: options.artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(empty), size: empty.length },
      layers: [{ mediaType: options.artifactType, digest: sha(payload), size: payload.length }],
      ...(options.subject ? { subject: options.subject } : {}),
    }),
  );
  const digest = sha(manifest);
  const put = await fetch(`${registryUrl}/v2/${repository}/manifests/${options.tag ?? digest}`, {
    method: 'PUT',
    body: manifest,
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (put.status !== 201) throw new Error(`manifest PUT: HTTP ${put.status} ${await put.text()}`);
  return digest;
}
