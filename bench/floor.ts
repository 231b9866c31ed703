/**
 * The floor the scanner is measured against: the very calls the scanner makes
 * (DescribeRepositories, ListImages of every storage class and DescribeImages of the archived images
 * per repository, BatchGetImage per 100
 * digests, same page sizes, same concurrency, kept-alive sockets) over plain
 * node:http with JSON.parse of each answer and of each manifest, keeping only
 * what byte accounting needs (every blob digest once with its size, and each
 * image's blob ids): no SDK, no signing, nothing else kept. The bench bundles
 * and runs it in its own process, like the scanner, so CPU and RSS compare one
 * to one.
 *
 *     node floor.js <endpoint> <concurrency> [<accessKeyId>@<region>,...]
 *
 * With registries named (an organization), each is read as the scanner reads
 * one: its own concurrency bound, signed for its account and region, four
 * registries at a time (the scanner's REGISTRIES_AT_ONCE).
 */
import { Agent, request } from 'node:http';
import { Limiter, mapLimited } from '../scanner/concurrency/limiter';
import { ACCEPTED_MANIFEST_TYPES } from '../scanner/oci/media-types';

const [endpoint = '', concurrencyText = '16', registriesText = 'AKIDFLOOR@us-east-1'] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const url = new URL(endpoint);
const REGISTRIES_AT_ONCE = 4;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency * REGISTRIES_AT_ONCE });

/** One registry's calls: its own concurrency bound and credential scope. */
interface Registry {
  limiter: Limiter;
  authorization: string;
}

function registryOf(spec: string): Registry {
  const [key, region] = spec.split('@');
  // The emulator checks that a credential scope is present (its key names the account), not the signature.
  return {
    limiter: new Limiter(concurrency),
    authorization: `AWS4-HMAC-SHA256 Credential=${key}/20260101/${region}/ecr/aws4_request, SignedHeaders=host, Signature=0`,
  };
}

type Json = Record<string, unknown>;

/** Every blob digest seen, once, with its size; each image's blob ids appended to one pool. */
const blobIds = new Map<string, number>();
const blobSizes: number[] = [];
let imageBlobs = new Int32Array(1 << 20);
let imageBlobsUsed = 0;

function keepBlob(descriptor: { digest?: unknown; size?: unknown } | undefined): void {
  if (typeof descriptor?.digest !== 'string') return;
  let id = blobIds.get(descriptor.digest);
  if (id === undefined) {
    id = blobSizes.push(typeof descriptor.size === 'number' ? descriptor.size : 0) - 1;
    blobIds.set(descriptor.digest, id);
  }
  if (imageBlobsUsed === imageBlobs.length) {
    const bigger = new Int32Array(imageBlobs.length * 2);
    bigger.set(imageBlobs);
    imageBlobs = bigger;
  }
  imageBlobs[imageBlobsUsed++] = id;
}

/** A manifest's config and layers, kept. */
function keepBlobs(manifest: {
  config?: { digest?: unknown; size?: unknown };
  layers?: Array<{ digest?: unknown; size?: unknown }>;
}): void {
  if (!manifest.config) return;
  keepBlob(manifest.config);
  for (const layer of manifest.layers ?? []) keepBlob(layer);
}

/** The input is made once the call has a slot, so thousands of waiting calls hold no request bodies. */
function call(registry: Registry, operation: string, makeInput: () => Json): Promise<Json> {
  return registry.limiter.run(
    () =>
      new Promise<Json>((resolve, reject) => {
        const body = JSON.stringify(makeInput());
        const req = request(
          {
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: '/',
            agent,
            headers: {
              'Content-Type': 'application/x-amz-json-1.1',
              'X-Amz-Target': `AmazonEC2ContainerRegistry_V20150921.${operation}`,
              Authorization: registry.authorization,
              'Content-Length': Buffer.byteLength(body),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
              if (res.statusCode !== 200) reject(new Error(`${operation}: ${res.statusCode} ${JSON.stringify(parsed)}`));
              else resolve(parsed);
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
  );
}

async function repository(registry: Registry, name: string): Promise<number> {
  const digests = new Set<string>();
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await call(registry, 'ListImages', () => ({
      repositoryName: name,
      maxResults: 1000,
      filter: { imageStatus: 'ANY' },
      ...(token ? { nextToken: token } : {}),
    }));
    for (const id of (page.imageIds as Array<{ imageDigest?: string }> | undefined) ?? []) if (id.imageDigest) digests.add(id.imageDigest);
    nextToken = page.nextToken as string | undefined;
  } while (nextToken);
  // Which images are archived (none in the bench's registry): one call.
  await call(registry, 'DescribeImages', () => ({ repositoryName: name, maxResults: 1000, filter: { imageStatus: 'ARCHIVED' } }));
  const all = [...digests];
  const batches: Promise<Json>[] = [];
  for (let i = 0; i < all.length; i += 100) {
    batches.push(
      call(registry, 'BatchGetImage', () => ({
        repositoryName: name,
        imageIds: all.slice(i, i + 100).map((imageDigest) => ({ imageDigest })),
        acceptedMediaTypes: ACCEPTED_MANIFEST_TYPES,
      })).then((page) => {
        for (const image of (page.images as Array<{ imageManifest?: string }> | undefined) ?? []) {
          if (image.imageManifest) keepBlobs(JSON.parse(image.imageManifest) as Parameters<typeof keepBlobs>[0]);
        }
        return page;
      }),
    );
  }
  await Promise.all(batches);
  return all.length;
}

async function readRegistry(registry: Registry): Promise<number> {
  const tasks: Promise<number>[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await call(registry, 'DescribeRepositories', () => ({ maxResults: 1000, ...(token ? { nextToken: token } : {}) }));
    for (const r of (page.repositories as Array<{ repositoryName?: string }> | undefined) ?? []) {
      if (r.repositoryName) tasks.push(repository(registry, r.repositoryName));
    }
    nextToken = page.nextToken as string | undefined;
  } while (nextToken);
  return (await Promise.all(tasks)).reduce((a, b) => a + b, 0);
}

async function main(): Promise<void> {
  const registries = registriesText.split(',');
  const images = (await mapLimited(registries, REGISTRIES_AT_ONCE, (spec) => readRegistry(registryOf(spec)))).reduce((a, b) => a + b, 0);
  agent.destroy();
  process.stdout.write(`${images} images, ${blobIds.size} distinct blobs, ${imageBlobsUsed} blob references\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`floor failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
