/**
 * A read-only OCI distribution API (the "source registry") served by the same
 * server as the ECR emulator, so a demo can run with nothing but Node. It is
 * deliberately small: anonymous, no uploads, tags/list pagination by n/last.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sha256Digest } from './store';

export interface DistributionManifest {
  digest: string;
  mediaType: string;
  manifest: Buffer;
  tags: string[];
}

export interface DistributionContent {
  repositories: Record<string, DistributionManifest[]>;
  /** Blobs by digest (config blobs are what a scanner reads); shared by all repositories. */
  blobs: Record<string, Buffer>;
}

interface DistributionRepository {
  byDigest: Map<string, DistributionManifest>;
  byTag: Map<string, DistributionManifest>;
}

export class DistributionRegistry {
  private readonly repositories = new Map<string, DistributionRepository>();
  private readonly blobs = new Map<string, Buffer>();

  constructor(content?: DistributionContent) {
    for (const [name, manifests] of Object.entries(content?.repositories ?? {})) {
      for (const m of manifests) this.putManifest(name, m);
    }
    for (const [digest, blob] of Object.entries(content?.blobs ?? {})) this.putBlob(blob, digest);
  }

  putManifest(repository: string, manifest: DistributionManifest): void {
    const computed = sha256Digest(manifest.manifest);
    if (computed !== manifest.digest) {
      throw new Error(`${repository}: manifest digest ${manifest.digest} does not match its bytes (${computed})`);
    }
    let repo = this.repositories.get(repository);
    if (!repo) this.repositories.set(repository, (repo = { byDigest: new Map(), byTag: new Map() }));
    const stored = repo.byDigest.get(manifest.digest) ?? { ...manifest, tags: [] };
    repo.byDigest.set(manifest.digest, stored);
    for (const tag of manifest.tags) {
      const previous = repo.byTag.get(tag);
      if (previous && previous !== stored) previous.tags = previous.tags.filter((t) => t !== tag);
      if (!stored.tags.includes(tag)) stored.tags.push(tag);
      repo.byTag.set(tag, stored);
    }
  }

  /** Returns the blob's digest; a given digest must match the bytes. */
  putBlob(blob: Buffer, digest?: string): string {
    const computed = sha256Digest(blob);
    if (digest !== undefined && digest !== computed) throw new Error(`blob digest ${digest} does not match its bytes (${computed})`);
    this.blobs.set(computed, blob);
    return computed;
  }

  deleteRepository(repository: string): boolean {
    return this.repositories.delete(repository);
  }

  repositoryNames(): string[] {
    return [...this.repositories.keys()];
  }

  /** Answers a /v2/ request; returns false when the path is not part of the distribution API. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/v2/')) return false;
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      this.error(res, 400, 'NAME_INVALID', 'malformed percent-encoding in path');
      return true;
    }
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      this.error(res, 405, 'UNSUPPORTED', 'this registry is read-only');
      return true;
    }
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    if (path === '/v2/') {
      this.send(res, 200, 'application/json', Buffer.from('{}'), head);
      return true;
    }
    const tags = /^\/v2\/(.+)\/tags\/list$/.exec(path);
    if (tags) {
      this.tagsList(res, tags[1], url, head);
      return true;
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    if (!match) {
      this.error(res, 404, 'NOT_FOUND', 'no such endpoint');
      return true;
    }
    const [, name, kind, reference] = match;
    const repo = this.repositories.get(name);
    if (!repo) {
      this.error(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry', { name });
      return true;
    }
    if (kind === 'blobs') {
      const blob = this.blobs.get(reference);
      if (!blob) this.error(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry', { digest: reference });
      else {
        res.setHeader('Docker-Content-Digest', reference);
        this.send(res, 200, 'application/octet-stream', blob, head);
      }
      return true;
    }
    const manifest = reference.includes(':') ? repo.byDigest.get(reference) : repo.byTag.get(reference);
    if (!manifest) {
      this.error(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown', { name, reference });
      return true;
    }
    res.setHeader('Docker-Content-Digest', manifest.digest);
    this.send(res, 200, manifest.mediaType, manifest.manifest, head);
    return true;
  }

  private tagsList(res: ServerResponse, name: string, url: URL, head: boolean): void {
    const repo = this.repositories.get(name);
    if (!repo) {
      this.error(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry', { name });
      return;
    }
    let all = [...repo.byTag.keys()].sort();
    const last = url.searchParams.get('last');
    if (last !== null) all = all.filter((t) => t > last);
    const n = url.searchParams.get('n');
    let page = all;
    // n=0 would produce an endless chain of empty pages; treat it like no limit.
    if (n !== null && Number(n) > 0 && Number(n) < all.length) {
      page = all.slice(0, Number(n));
      const next = `/v2/${name}/tags/list?n=${Number(n)}&last=${encodeURIComponent(page[page.length - 1] ?? '')}`;
      res.setHeader('Link', `<${next}>; rel="next"`);
    }
    this.send(res, 200, 'application/json', Buffer.from(JSON.stringify({ name, tags: page })), head);
  }

  private send(res: ServerResponse, status: number, type: string, body: Buffer, head: boolean): void {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
    res.end(head ? undefined : body);
  }

  private error(res: ServerResponse, status: number, code: string, message: string, detail?: unknown): void {
    const body = Buffer.from(JSON.stringify({ errors: [{ code, message, detail: detail ?? null }] }));
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  }
}
