/**
 * The images a compose file names: `services.<name>.image`. A service without
 * one is an error of its own, never dropped: one that is only built (`build:`)
 * has no image to compare, one that `extends` another takes it from a place we
 * do not follow. Compose interpolates `${VAR}` when it runs; we cannot know the
 * values, so such an image is an error that says how to get the resolved file.
 */
import { InvalidReferenceError, parseReference } from '../oci/reference';
import { Mention } from './mentions';
import { ComposeOrigin } from './origin';
import { errorMentions, isRecord, parseYamlDocuments } from './yaml-documents';

export function parseComposeMentions(text: string, file: string): Mention[] {
  const { documents, errors } = parseYamlDocuments(text);
  const mentions: Mention[] = errorMentions(errors, file);

  for (const doc of documents) {
    const services = isRecord(doc.data) ? doc.data.services : undefined;
    if (!isRecord(services)) continue;
    for (const [service, definition] of Object.entries(services)) {
      if (!isRecord(definition) || definition.image === undefined) {
        mentions.push(imagelessService(service, definition, { file, line: doc.lineOf(['services', service]), service }));
        continue;
      }
      const origin = { file, line: doc.lineOf(['services', service, 'image']), service };
      const image = definition.image;
      if (typeof image !== 'string') {
        mentions.push({ kind: 'invalid', input: String(image), error: `service ${service}: image is not a string`, origin });
        continue;
      }
      const input = image.trim();
      if (input.includes('$')) {
        mentions.push({
          kind: 'invalid',
          input: input.slice(0, 200),
          error: 'the image uses compose variables; give the output of `docker compose config` instead, which has them replaced',
          origin,
        });
        continue;
      }
      try {
        mentions.push({ kind: 'reference', input, reference: parseReference(input), origin });
      } catch (err) {
        if (!(err instanceof InvalidReferenceError)) throw err;
        mentions.push({ kind: 'invalid', input: input.slice(0, 200), error: `invalid reference: ${err.message}`, origin });
      }
    }
  }
  return mentions.sort((a, b) => a.origin.line - b.origin.line);
}

/** Why a service names no image, as its own error: compose features the scanner does not follow are said, not dropped. */
function imagelessService(service: string, definition: unknown, origin: ComposeOrigin): Mention {
  const unsupported = (error: string): Mention => ({
    kind: 'invalid',
    input: `service ${service}`,
    error,
    errorKind: 'unsupported',
    origin,
  });
  if (isRecord(definition) && definition.extends !== undefined) {
    return unsupported(
      `service ${service} uses extends, which the scanner does not follow; give the output of \`docker compose config\` instead, which resolves it`,
    );
  }
  if (isRecord(definition) && definition.build !== undefined) {
    return unsupported(
      `service ${service} is only built (build: without image:), so there is no image to compare; name the image it is pushed as with image:, or leave the service out`,
    );
  }
  return { kind: 'invalid', input: `service ${service}`, error: `service ${service} names no image`, origin };
}
