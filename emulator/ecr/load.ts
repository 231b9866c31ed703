/**
 * Copies what an OCI distribution registry holds into ECR emulator content,
 * the way pushing those repositories to ECR would store them: every tagged
 * manifest by the digest of its exact bytes, and the children of an index as
 * untagged images of the same repository.
 */
import { ACCEPTED_MANIFEST_TYPES, INDEX_MEDIA_TYPES, SCHEMA1_MEDIA_TYPES } from '../../scanner/oci/media-types';
import { EcrImage, EcrStoreContent, indexChildren, sha256Digest } from './store';

export interface RegistryMapping {
  /** Repository name in the source registry. */
  repository: string;
  /** Name in ECR; default: the same name. */
  ecrRepository?: string;
}

export interface LoadFromRegistryOptions {
  /** ECR refuses an index whose children were not pushed; 'skip' keeps the index anyway. Default 'error'. */
  missingChildren?: 'error' | 'skip';
}

const ACCEPT = [...ACCEPTED_MANIFEST_TYPES, ...SCHEMA1_MEDIA_TYPES].join(', ');

/** Anonymous client: plain HTTP, with the Bearer token dance registries do even for public pulls. */
class RegistryReader {
  private token: string | undefined;

  constructor(private readonly base: string) {}

  async get(path: string, accept?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (accept) headers.Accept = accept;
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let response = await fetch(new URL(path, this.base), { headers });
    if (response.status === 401 && !this.token) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      await response.arrayBuffer();
      this.token = await this.fetchToken(challenge);
      headers.Authorization = `Bearer ${this.token}`;
      response = await fetch(new URL(path, this.base), { headers });
    }
    return response;
  }

  private async fetchToken(challenge: string): Promise<string> {
    if (!/^Bearer\s/i.test(challenge)) throw new Error(`registry ${this.base} wants credentials (${challenge || 'no challenge'})`);
    const params = new Map<string, string>();
    for (const m of challenge.matchAll(/(\w+)="([^"]*)"/g)) params.set(m[1].toLowerCase(), m[2]);
    const realm = params.get('realm');
    if (!realm) throw new Error(`registry ${this.base}: Bearer challenge without realm`);
    const url = new URL(realm);
    for (const key of ['service', 'scope']) {
      const value = params.get(key);
      if (value) url.searchParams.set(key, value);
    }
    const response = await fetch(url);
    if (!response.ok) throw new Error(`token request to ${url.origin} failed: HTTP ${response.status}`);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`token response from ${url.origin} has no token`);
    return token;
  }
}

async function listTags(reader: RegistryReader, repository: string): Promise<string[]> {
  const tags: string[] = [];
  let path: string | undefined = `/v2/${repository}/tags/list`;
  while (path) {
    const response = await reader.get(path);
    if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { tags?: string[] | null };
    tags.push(...(body.tags ?? []));
    // Registries paginate tags/list with an RFC 5988 Link header.
    const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get('link') ?? '');
    path = link ? link[1] : undefined;
  }
  return tags;
}

async function fetchManifest(reader: RegistryReader, repository: string, reference: string): Promise<EcrImage | undefined> {
  const path = `/v2/${repository}/manifests/${reference}`;
  const response = await reader.get(path, ACCEPT);
  if (response.status === 404) {
    await response.arrayBuffer();
    return undefined;
  }
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const digest = sha256Digest(bytes);
  const announced = response.headers.get('docker-content-digest');
  if (announced && announced !== digest) throw new Error(`GET ${path}: Docker-Content-Digest ${announced} but bytes hash to ${digest}`);
  if (reference.includes(':') && reference !== digest) throw new Error(`GET ${path}: bytes hash to ${digest}`);
  let mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
  try {
    const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
    // The manifest's own mediaType field is what ECR records when it is present.
    if (typeof declared === 'string') mediaType = declared;
  } catch {
    throw new Error(`GET ${path}: manifest is not JSON`);
  }
  return { digest, mediaType, manifest: bytes, tags: [] };
}

/**
 * Reads every tag of the mapped repositories of a registry (plain HTTP) and
 * returns ECR store content keyed by ECR repository name.
 */
export async function loadFromRegistry(
  registryUrl: string,
  mapping: RegistryMapping[],
  options: LoadFromRegistryOptions = {},
): Promise<EcrStoreContent> {
  const reader = new RegistryReader(registryUrl.endsWith('/') ? registryUrl : `${registryUrl}/`);
  const content: EcrStoreContent = {};
  for (const { repository, ecrRepository } of mapping) {
    const target = ecrRepository ?? repository;
    const byDigest = new Map<string, EcrImage>();
    for (const image of content[target] ?? []) byDigest.set(image.digest, image);

    const addChildren = async (index: EcrImage, depth: number): Promise<void> => {
      for (const child of indexChildren(index.manifest)) {
        if (byDigest.has(child)) continue;
        const image = depth < 4 ? await fetchManifest(reader, repository, child) : undefined;
        if (!image) {
          if (options.missingChildren === 'skip') continue;
          throw new Error(
            `${repository}: index ${index.digest} names ${child}, which the registry does not have; ECR would refuse that index`,
          );
        }
        byDigest.set(image.digest, image);
        if (INDEX_MEDIA_TYPES.includes(image.mediaType)) await addChildren(image, depth + 1);
      }
    };

    for (const tag of await listTags(reader, repository)) {
      const image = await fetchManifest(reader, repository, tag);
      if (!image) continue; // deleted between tags/list and now
      const existing = byDigest.get(image.digest);
      if (existing) {
        if (!existing.tags.includes(tag)) existing.tags.push(tag);
        continue;
      }
      image.tags.push(tag);
      byDigest.set(image.digest, image);
      if (INDEX_MEDIA_TYPES.includes(image.mediaType)) await addChildren(image, 1);
    }
    content[target] = [...byDigest.values()];
  }
  return content;
}
