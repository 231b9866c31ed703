/**
 * Pushes an OCI artifact (a Helm chart, an SBOM) into a real registry over the distribution API:
 * what `helm push` and `oras push` do, without those tools. skopeo copies images; these are not.
 */
import { createHash } from 'node:crypto';

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function ok(response: Response, what: string): Promise<void> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
}

export interface PushedArtifact {
  manifestDigest: string;
}

/** A manifest with the given config media type (and artifactType, when given) and one layer. */
export async function pushArtifact(
  registryUrl: string,
  repository: string,
  tag: string,
  spec: { configMediaType: string; artifactType?: string; layerMediaType: string; content: string },
): Promise<PushedArtifact> {
  const config = Buffer.from(
    spec.configMediaType === 'application/vnd.oci.empty.v1+json' ? '{}' : JSON.stringify({ name: repository, version: tag }),
  );
  const layer = Buffer.from(spec.content);
  for (const blob of [config, layer]) {
    const digest = digestOf(blob);
    const start = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    await ok(start, 'start blob upload');
    const location = new URL(start.headers.get('location') ?? '', registryUrl);
    location.searchParams.set('digest', digest);
    await ok(
      await fetch(location, { method: 'PUT', body: blob, headers: { 'Content-Type': 'application/octet-stream' } }),
      `upload blob ${digest}`,
    );
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...(spec.artifactType ? { artifactType: spec.artifactType } : {}),
      config: { mediaType: spec.configMediaType, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: spec.layerMediaType, digest: digestOf(layer), size: layer.length }],
    }),
  );
  await ok(
    await fetch(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      body: manifest,
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    }),
    `put manifest ${repository}:${tag}`,
  );
  return { manifestDigest: digestOf(manifest) };
}
