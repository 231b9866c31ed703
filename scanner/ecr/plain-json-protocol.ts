/**
 * ECR's AWS JSON 1.1 protocol with a leaner codec for the shapes the
 * inventory reads in bulk. The SDK's schema codec writes request JSON one
 * character at a time and copies every response structure member by member
 * after JSON.parse; for ListImages and BatchGetImage (strings, lists and
 * structures of strings only) JSON.stringify and JSON.parse give exactly the
 * same data, and measured about a sixth of the scanner's CPU (profile in
 * docs/performance.md). DescribeImages answers also hold numbers and epoch
 * timestamps: those are converted in place after JSON.parse, member by member
 * where the schema says so and nowhere else. Any shape holding something else
 * the SDK converts (blobs, big numbers, documents, unions, JSON-typed strings,
 * other timestamp formats, idempotency tokens) still goes through the SDK's
 * codec, as do errors.
 * Plugged in through the client's own `protocol` setting, so the rest of the
 * SDK (signing, retries, endpoints, error types) is untouched.
 */
import { AwsJson1_1Protocol, JsonCodec2, JsonShapeDeserializer2 } from '@aws-sdk/core/protocols';
import { NormalizedSchema } from '@smithy/core/schema';
import { parseEpochTimestamp } from '@smithy/core/serde';
import type { $Schema, $ShapeDeserializer, $ShapeSerializer, DocumentType, SerdeFunctions } from '@smithy/types';

/** Converts a parsed JSON value in place (or returns its replacement) as the SDK's codec would. */
type Fix = (value: unknown) => unknown;

/** Schema values of timestamps read as epoch seconds here: the default format (4) and epoch-seconds (7). */
const EPOCH_TIMESTAMPS = new Set<unknown>([4, 7]);

const NUMBER_WORDS: Record<string, number> = { Infinity, '-Infinity': -Infinity, NaN };
const fixNumber: Fix = (v) => (typeof v === 'string' && v in NUMBER_WORDS ? NUMBER_WORDS[v] : v);
const fixTimestamp: Fix = (v) => parseEpochTimestamp(v);

/**
 * What must be done to JSON.parse's value of a response shape to equal the SDK's: null for nothing,
 * a Fix for numbers and epoch timestamps, false when this codec does not handle the shape.
 */
function fixerOf(ns: NormalizedSchema, depth = 0): Fix | null | false {
  if (depth > 10) return false;
  const traits = ns.getMergedTraits();
  if (traits.idempotencyToken || traits.mediaType || traits.jsonName) return false;
  if (ns.isStructSchema()) {
    if (ns.isUnionSchema()) return false;
    const members: Array<[string, Fix]> = [];
    for (const [name, member] of ns.structIterator()) {
      const fix = fixerOf(member, depth + 1);
      if (fix === false) return false;
      if (fix) members.push([name, fix]);
    }
    if (members.length === 0) return null;
    return (v) => {
      if (v === null || typeof v !== 'object') return v;
      const record = v as Record<string, unknown>;
      for (const [name, fix] of members) if (record[name] != null) record[name] = fix(record[name]);
      return record;
    };
  }
  if (ns.isListSchema() || ns.isMapSchema()) {
    const fix = fixerOf(ns.getValueSchema(), depth + 1);
    if (fix === false || fix === null) return fix;
    return (v) => {
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = fix(v[i]);
      else if (v !== null && typeof v === 'object')
        for (const k of Object.keys(v)) (v as Record<string, unknown>)[k] = fix((v as Record<string, unknown>)[k]);
      return v;
    };
  }
  if (ns.isTimestampSchema()) return EPOCH_TIMESTAMPS.has(ns.getSchema()) ? fixTimestamp : false;
  if (ns.isBigIntegerSchema() || ns.isBigDecimalSchema()) return false;
  if (ns.isNumericSchema()) return fixNumber;
  return ns.isStringSchema() || ns.isBooleanSchema() ? null : false;
}

const responseFixers = new Map<string, Fix | null | false>();

/** Decided once per named response structure (DescribeImagesResponse, …); unnamed shapes take the SDK's path. */
function responseFixer(schema: $Schema): Fix | null | false {
  const ns = NormalizedSchema.of(schema);
  if (!ns.isStructSchema()) return false;
  const name = ns.getName(true);
  if (!name) return false;
  let known = responseFixers.get(name);
  if (known === undefined) responseFixers.set(name, (known = fixerOf(ns)));
  return known;
}

/** True when JSON.stringify of this request shape equals what the SDK's codec writes. */
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
    const fix = responseFixer(schema);
    if (fix === false) return this.sdk.read(schema, data as string);
    const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
    if (text.length === 0) return {};
    const value = JSON.parse(text) as unknown;
    return fix ? fix(value) : value;
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
