/** The platform of an image (os/architecture/variant), its text form, and the `--platform` filter over it. */

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((p) => p).join('/');
}

/** The text form back as fields; undefined for text that is not `os/arch[/variant]`. */
export function parsePlatformText(text: string): Platform | undefined {
  const [os, architecture, variant, ...rest] = text.split('/');
  if (!os || !architecture || rest.length > 0) return undefined;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** Reads the platform fields of an index entry or config; undefined when it is not an object. */
export function parsePlatformObject(value: unknown): Platform | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const os = typeof v.os === 'string' ? v.os : '';
  const architecture = typeof v.architecture === 'string' ? v.architecture : '';
  const variant = typeof v.variant === 'string' && v.variant !== '' ? v.variant : undefined;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** Which platform images take part in the comparison (`--platform os/arch[/variant]`, repeatable). */

export class PlatformFilter {
  private readonly wanted: Platform[];

  constructor(specs: readonly string[]) {
    this.wanted = specs.map(parsePlatformSpec);
  }

  get isRestricted(): boolean {
    return this.wanted.length > 0;
  }

  /** A filter without variant accepts every variant (`linux/arm` takes `linux/arm/v7`), as Docker matches loosely. */
  accepts(platform: Platform): boolean {
    if (this.wanted.length === 0) return true;
    return this.wanted.some(
      (w) =>
        w.os === platform.os && w.architecture === platform.architecture && (w.variant === undefined || w.variant === platform.variant),
    );
  }

  describe(): string {
    return this.wanted.map(formatPlatform).join(', ');
  }
}

export function parsePlatformSpec(spec: string): Platform {
  const parts = spec.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new RangeError(`invalid --platform "${spec}": expected os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return { os, architecture, ...(variant ? { variant } : {}) };
}
