/**
 * The images a compose file names: `services.<name>.image`. A service that is
 * only built (`build:` without `image:`) names no image to migrate. Compose
 * interpolates `${VAR}` when it runs; we cannot know the values, so such an
 * image is an error that says how to get the resolved file.
 */
import { InvalidReferenceError, parseReference } from '../oci/reference';
import { Mention } from './mentions';
import { errorMentions, isRecord, parseYamlDocuments } from './yaml-documents';

export function parseComposeMentions(text: string, file: string): Mention[] {
  const { documents, errors } = parseYamlDocuments(text);
  const mentions: Mention[] = errorMentions(errors, file);

  for (const doc of documents) {
    const services = isRecord(doc.data) ? doc.data.services : undefined;
    if (!isRecord(services)) continue;
    for (const [service, definition] of Object.entries(services)) {
      if (!isRecord(definition) || definition.image === undefined) continue;
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
