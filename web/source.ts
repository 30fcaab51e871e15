import { DEFAULT_IMAGE_CONFIG, type ImageConfig, parseImageConfig } from '../src/image/config.js';
import { detectImageConfig } from '../src/image/detect.js';
import { type ValueType, isValueType } from '../src/image/value-types.js';
import { type FileProblem, truncationProblem } from '../src/image/open-file.js';
import { fitImage } from '../src/image/window.js';

// Where the page's image comes from: `flashkv inspect` (with its secret) or a file the user picked.

export interface Source {
  readonly name: string;
  /** The file's bytes as opened (the partition, fitted to the config). */
  readonly file: Uint8Array;
  readonly config: ImageConfig;
  /** Served by `flashkv inspect` (saves go back to it), or opened in the page (downloads). */
  readonly served?: Served;
  /** Saved value types by key (hex), from the config file's value_types; empty without one. */
  readonly valueTypes: ReadonlyMap<string, ValueType>;
  /**
   * Bytes of the partition the file holds; `file` is padded with erased bytes past them when
   * the file is shorter than the config (a truncated dump).
   */
  readonly presentBytes: number;
  /** Where the partition starts in the file, for messages. */
  readonly offset: number;
}

/** What `flashkv inspect` gave the page: its secret and the version of the file loaded. */
export interface Served {
  readonly secret: string;
  /** The file's ETag when these bytes were loaded: a save is refused if it is not that now. */
  readonly version: string;
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function fitted(bytes: Uint8Array, config: ImageConfig): Uint8Array {
  return fitImage(bytes, config.sectorSizeBytes * config.sectorCount).bytes;
}

/** The `truncated` problem of the source under `config`, when the file is shorter than it. */
export function fileProblemsOf(source: Source, config: ImageConfig): FileProblem[] {
  const expectedBytes = config.sectorSizeBytes * config.sectorCount;
  const truncated = truncationProblem(source.presentBytes, expectedBytes, source.offset);
  return truncated === undefined ? [] : [truncated];
}

/** The config of bytes opened in the page: detected, else the defaults sized to the file. */
export function configFor(bytes: Uint8Array): ImageConfig {
  try {
    return detectImageConfig(bytes).config;
  } catch {
    const sectorCount = Math.max(2, Math.ceil(bytes.length / DEFAULT_IMAGE_CONFIG.sectorSizeBytes));
    return { ...DEFAULT_IMAGE_CONFIG, sectorCount };
  }
}

/** The header `flashkv inspect` wants its secret in (src/cli/_inspect-server.ts). */
export const SECRET_HEADER = 'x-flashkv-secret';

/** The image as the file holds it now, and its version. */
export async function fetchImage(secret: string): Promise<{ file: Uint8Array; served: Served }> {
  const response = await fetch('/api/image', { headers: { [SECRET_HEADER]: secret } });
  const version = response.headers.get('etag');
  if (!response.ok || version === null) throw new Error(`GET /api/image: ${response.status}`);
  return { file: new Uint8Array(await response.arrayBuffer()), served: { secret, version } };
}

export async function served(): Promise<Source | undefined> {
  // `flashkv inspect` opens the page with its secret in the fragment; a static copy has none.
  const secret = new URLSearchParams(location.hash.slice(1)).get('secret');
  if (secret === null) return undefined;
  const response = await fetch('/api/meta', { headers: { [SECRET_HEADER]: secret } });
  if (!response.ok) throw new Error(`GET /api/meta: ${response.status}`);
  const meta = (await response.json()) as {
    name: string;
    config: unknown;
    value_types?: Record<string, unknown>;
    present_bytes?: number;
    offset?: number;
  };
  const config = parseImageConfig(meta.config, 'the served config');
  const valueTypes = new Map<string, ValueType>();
  for (const [key, type] of Object.entries(meta.value_types ?? {}))
    if (isValueType(type)) valueTypes.set(key, type);
  const image = await fetchImage(secret);
  return {
    name: meta.name,
    config,
    valueTypes,
    presentBytes: meta.present_bytes ?? image.file.length,
    offset: meta.offset ?? 0,
    ...image,
  };
}
