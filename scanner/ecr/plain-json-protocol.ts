/**
 * ECR's AWS JSON 1.1 protocol with a leaner codec for the shapes the
 * inventory reads in bulk. The SDK's schema codec writes request JSON one
 * character at a time and copies every response structure member by member
 * after JSON.parse; for ListImages and BatchGetImage (strings, lists and
 * structures of strings only) JSON.stringify and JSON.parse give exactly the
 * same data, and measured about a sixth of the scanner's CPU (profile in
 * README, Performance). Any shape holding something the SDK converts
 * (timestamps, blobs, big numbers, documents, unions, JSON-typed strings,
 * idempotency tokens) still goes through the SDK's codec, as do errors.
 * Plugged in through the client's own `protocol` setting, so the rest of the
 * SDK (signing, retries, endpoints, error types) is untouched.
 */
import { AwsJson1_1Protocol, JsonCodec2, JsonShapeDeserializer2 } from '@aws-sdk/core/protocols';
import { NormalizedSchema } from '@smithy/core/schema';
import type { $Schema, $ShapeDeserializer, $ShapeSerializer, DocumentType, SerdeFunctions } from '@smithy/types';

const plainSchemas = new Map<string, boolean>();

/** True when JSON.parse / JSON.stringify of this shape equal what the SDK's codec makes of it. */
function isPlain(ns: NormalizedSchema, depth = 0): boolean {
  if (depth > 10) return false;
  const traits = ns.getMergedTraits();
  if (traits.idempotencyToken || traits.mediaType || traits.jsonName) return false;
  if (ns.isStructSchema()) {
    if (ns.isUnionSchema()) return false;
    for (const [, member] of ns.structIterator()) if (!isPlain(member, depth + 1)) return false;
    return true;
  }
  if (ns.isListSchema()) return isPlain(ns.getValueSchema(), depth + 1);
  // Numbers are left out: the SDK writes NaN and Infinity as strings, JSON.stringify as null.
  return ns.isStringSchema() || ns.isBooleanSchema();
}

/** Decided once per named structure (ListImagesResponse, …); unnamed shapes take the SDK's path. */
function plain(schema: $Schema): NormalizedSchema | undefined {
  const ns = NormalizedSchema.of(schema);
  if (!ns.isStructSchema()) return undefined;
  const name = ns.getName(true);
  if (!name) return undefined;
  let known = plainSchemas.get(name);
  if (known === undefined) plainSchemas.set(name, (known = isPlain(ns)));
  return known ? ns : undefined;
}

/** Request members the inventory sends are strings, lists of strings and one integer (maxResults). */
function isPlainRequest(ns: NormalizedSchema): boolean {
  for (const [, member] of ns.structIterator()) {
    if (member.isNumericSchema()) {
      const traits = member.getMergedTraits();
      if (traits.idempotencyToken || traits.mediaType) return false;
      continue;
    }
    if (!isPlain(member)) return false;
  }
  return true;
}

const plainRequests = new Map<string, boolean>();

class PlainSerializer implements $ShapeSerializer<Uint8Array> {
  private body: Uint8Array | undefined;

  constructor(private readonly sdk: $ShapeSerializer<Uint8Array>) {}

  setSerdeContext(context: SerdeFunctions): void {
    this.sdk.setSerdeContext(context);
  }

  write(schema: $Schema, value: unknown): void {
    const ns = NormalizedSchema.of(schema);
    const name = ns.isStructSchema() && !ns.isUnionSchema() ? ns.getName(true) : undefined;
    let ok = name ? plainRequests.get(name) : false;
    if (name && ok === undefined) plainRequests.set(name, (ok = isPlainRequest(ns)));
    // Finite numbers only; anything else keeps the SDK's encoding.
    const finite = (v: unknown) => typeof v !== 'number' || Number.isFinite(v);
    if (ok && typeof value === 'object' && value !== null && Object.values(value).every(finite)) {
      this.body = Buffer.from(JSON.stringify(value), 'utf8');
      return;
    }
    this.body = undefined;
    this.sdk.write(schema, value);
  }

  flush(): Uint8Array {
    const body = this.body;
    this.body = undefined;
    return body ?? this.sdk.flush();
  }
}

class PlainDeserializer implements $ShapeDeserializer<string> {
  constructor(private readonly sdk: JsonShapeDeserializer2) {}

  setSerdeContext(context: SerdeFunctions): void {
    this.sdk.setSerdeContext(context);
  }

  read(schema: $Schema, data: string | Uint8Array): unknown {
    if (!plain(schema)) return this.sdk.read(schema, data as string);
    const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
    return text.length === 0 ? {} : (JSON.parse(text) as unknown);
  }

  /** Error members are read with this (AwsJsonRpcProtocol.handleError): always the SDK's way. */
  readObject(schema: $Schema, data: DocumentType): unknown {
    return this.sdk.readObject(schema, data);
  }
}

class PlainJsonCodec extends JsonCodec2 {
  override createSerializer(): $ShapeSerializer<Uint8Array> {
    return new PlainSerializer(super.createSerializer());
  }

  override createDeserializer(): $ShapeDeserializer<string> {
    // JsonCodec2 makes a JsonShapeDeserializer2; its readObject is what errors are read with.
    return new PlainDeserializer(super.createDeserializer() as JsonShapeDeserializer2);
  }
}

type ProtocolSettings = ConstructorParameters<typeof AwsJson1_1Protocol>[0];

/** For `new ECRClient({ protocol: PlainJsonProtocol })`: the client passes its own settings (error types, target). */
export class PlainJsonProtocol extends AwsJson1_1Protocol {
  constructor(settings: ProtocolSettings) {
    // The settings AwsJsonRpcProtocol gives its default codec.
    super({ ...settings, jsonCodec: new PlainJsonCodec({ timestampFormat: { useTrait: true, default: 7 }, jsonName: false }) });
  }
}
