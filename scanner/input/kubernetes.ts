/**
 * The images Kubernetes objects name: containers, initContainers and
 * ephemeralContainers of Pods and of every pod template (Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, any object with a
 * `spec.template`), also inside `List`s such as `kubectl get pods -A -o json`.
 * A running Pod's `status.*ContainerStatuses[].imageID` names the digest it
 * actually runs, so that digest is what is compared. Objects that name no
 * pod (Services, ConfigMaps, …) are skipped without a word.
 */
import { InvalidReferenceError, parseReference } from '../oci/reference';
import { Mention } from './mentions';
import { KubernetesOrigin } from './origin';
import { YamlDocument, YamlPath, errorMentions, isRecord, parseYamlDocuments } from './yaml-documents';

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;
const STATUS_LISTS: Readonly<Record<(typeof CONTAINER_LISTS)[number], string>> = {
  containers: 'containerStatuses',
  initContainers: 'initContainerStatuses',
  ephemeralContainers: 'ephemeralContainerStatuses',
};
/** `kind: List` nests lists no deeper than this in practice; a bound keeps odd input from recursing forever. */
const MAX_LIST_DEPTH = 4;

/** Where an object keeps its pod spec, by kind; other kinds are tried at the pod-template paths. */
const POD_SPEC_PATHS: ReadonlyArray<YamlPath> = [
  ['spec', 'template', 'spec'],
  ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  ['template', 'spec'],
];

function at(value: unknown, path: YamlPath): unknown {
  let v = value;
  for (const key of path) {
    if (typeof key === 'number') v = Array.isArray(v) ? v[key] : undefined;
    else v = isRecord(v) ? v[key] : undefined;
  }
  return v;
}

/** `docker-pullable://nginx@sha256:…`, `docker.io/library/nginx@sha256:…`: the manifest digest; undefined for a bare image ID. */
export function digestOfImageId(imageId: unknown): string | undefined {
  if (typeof imageId !== 'string') return undefined;
  return /@(sha256:[a-f0-9]{64})$/.exec(imageId)?.[1];
}

interface ObjectContext {
  file: string;
  doc: YamlDocument;
  kind: string;
  namespace?: string;
  name: string;
  /** Where the object is in its document (`['items', 3]` inside a List). */
  path: YamlPath;
}

function containerMentions(ctx: ObjectContext, podSpecPath: YamlPath, statusPath: YamlPath | undefined, object: unknown): Mention[] {
  const mentions: Mention[] = [];
  const podSpec = at(object, podSpecPath);
  if (!isRecord(podSpec)) return mentions;
  for (const list of CONTAINER_LISTS) {
    const containers = podSpec[list];
    if (!Array.isArray(containers)) continue;
    const statuses = statusPath ? at(object, [...statusPath, STATUS_LISTS[list]]) : undefined;
    containers.forEach((container: unknown, i) => {
      if (!isRecord(container)) return;
      const containerName = typeof container.name === 'string' ? container.name : `${list}[${i}]`;
      const imagePath = [...podSpecPath, list, i, 'image'];
      const origin: KubernetesOrigin = {
        file: ctx.file,
        line: ctx.doc.lineOf([...ctx.path, ...imagePath]),
        kind: ctx.kind,
        ...(ctx.namespace !== undefined ? { namespace: ctx.namespace } : {}),
        name: ctx.name,
        container: containerName,
      };
      const image = container.image;
      if (typeof image !== 'string' || image.trim() === '') {
        mentions.push({ kind: 'invalid', input: String(image ?? ''), error: `container ${containerName} names no image`, origin });
        return;
      }
      const status = Array.isArray(statuses) ? statuses.find((s: unknown) => isRecord(s) && s.name === container.name) : undefined;
      const running = isRecord(status) ? digestOfImageId(status.imageID) : undefined;
      try {
        const reference = parseReference(image.trim());
        if (running) {
          mentions.push({
            kind: 'reference',
            input: `${image.trim().replace(/@.*$/, '')}@${running}`,
            reference: { ...reference, digest: running },
            origin,
          });
        } else {
          mentions.push({ kind: 'reference', input: image.trim(), reference, origin });
        }
      } catch (err) {
        if (!(err instanceof InvalidReferenceError)) throw err;
        mentions.push({ kind: 'invalid', input: image.slice(0, 200), error: `invalid reference: ${err.message}`, origin });
      }
    });
  }
  return mentions;
}

function objectMentions(file: string, doc: YamlDocument, object: unknown, path: YamlPath, depth: number): Mention[] {
  if (!isRecord(object)) return [];
  const kind = typeof object.kind === 'string' ? object.kind : '';
  if (Array.isArray(object.items) && (kind === '' || kind.endsWith('List'))) {
    if (depth >= MAX_LIST_DEPTH) return [];
    return object.items.flatMap((item: unknown, i) => objectMentions(file, doc, item, [...path, 'items', i], depth + 1));
  }
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const ctx: ObjectContext = {
    file,
    doc,
    kind: kind || 'object',
    ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
    name:
      typeof metadata.name === 'string' ? metadata.name : typeof metadata.generateName === 'string' ? metadata.generateName : '(unnamed)',
    path,
  };
  if (kind === 'Pod') return containerMentions(ctx, ['spec'], ['status'], object);
  for (const podSpecPath of POD_SPEC_PATHS) {
    if (isRecord(at(object, podSpecPath))) return containerMentions(ctx, podSpecPath, undefined, object);
  }
  return [];
}

/** Every image a Kubernetes YAML or JSON file names; a malformed document is an invalid mention naming it, the others are read. */
export function parseKubernetesMentions(text: string, file: string): Mention[] {
  const { documents, errors } = parseYamlDocuments(text);
  const mentions: Array<{ line: number; mention: Mention }> = [];
  for (const mention of errorMentions(errors, file)) mentions.push({ line: mention.origin.line, mention });
  for (const doc of documents) {
    for (const m of objectMentions(file, doc, doc.data, [], 0)) mentions.push({ line: m.origin.line, mention: m });
  }
  // In file order, so a report lists sources as the file names them.
  return mentions.sort((a, b) => a.line - b.line).map((m) => m.mention);
}
