import { type ImageConfig, parseImageConfig } from '../src/image/config.js';
import { type ValueType, isValueType } from '../src/image/value-types.js';
import { type FileProblem, openImageFile, truncationProblem } from '../src/image/open-file.js';

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

/** A file picked in the page, opened: its source, the file's bytes, where its config came from. */
export interface Picked {
  readonly source: Source;
  /** The whole file as picked (the source holds the partition, fitted to the config). */
  readonly raw: Uint8Array;
  /** The config file's name, or `detected` / `defaults`. */
  readonly configFrom: string;
}

/**
 * A file picked in the page, opened as `flashkv` opens one ({@link openImageFile}): with its
 * config file when one is given (its `IMAGE.json`: config and value types), else detected,
 * else pw_kvs's defaults sized to the file. Throws a KvsError for bytes that cannot be opened.
 */
export function openPicked(
  name: string,
  raw: Uint8Array,
  configFile?: { readonly json: unknown; readonly name: string },
): Picked {
  const opened = openImageFile(raw, {
    name,
    ...(configFile === undefined ? { detect: 'or-defaults' as const } : { configFile }),
  });
  const source: Source = {
    name,
    file: opened.original,
    config: opened.config,
    valueTypes: opened.resolved.valueTypes ?? new Map<string, ValueType>(),
    presentBytes: opened.original.length - opened.truncatedBytes,
    offset: opened.window.offset,
  };
  return { source, raw, configFrom: opened.resolved.file ?? opened.resolved.source };
}

/**
 * The config file among `files` that belongs to the image `name`, as `flashkv` looks beside an
 * image: `NAME.json`, else NAME with its extension replaced by `.json`.
 */
export function configFileFor(name: string, files: readonly File[]): File | undefined {
  const dot = name.lastIndexOf('.');
  const candidates = [`${name}.json`];
  if (dot > 0 && name.slice(dot) !== '.json') candidates.push(`${name.slice(0, dot)}.json`);
  for (const candidate of candidates) {
    const found = files.find((file) => file.name === candidate);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Opens the image among picked `files` (the first that is not a `.json`) with its config file
 * when it was picked too; else, under `flashkv inspect` (`secret`), the config file the server
 * finds under the picked image's name beside the image it serves; else detection.
 */
export async function openPickedFiles(
  files: readonly File[],
  secret?: string,
): Promise<Picked | undefined> {
  const image = files.find((file) => !file.name.endsWith('.json')) ?? files[0];
  if (image === undefined) return undefined;
  const raw = new Uint8Array(await image.arrayBuffer());
  const picked = configFileFor(image.name, files);
  if (picked !== undefined) {
    const json = JSON.parse(await picked.text()) as unknown;
    return openPicked(image.name, raw, { json, name: picked.name });
  }
  if (secret !== undefined) {
    const beside = await fetch(`/api/config-beside?name=${encodeURIComponent(image.name)}`, {
      headers: { [SECRET_HEADER]: secret },
    });
    const found = (await beside.json()) as { found: boolean; name?: string; config?: unknown };
    if (beside.ok && found.found && found.name !== undefined) {
      return openPicked(image.name, raw, { json: found.config, name: found.name });
    }
  }
  return openPicked(image.name, raw);
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `truncated` problem of the source under `config`, when the file is shorter than it. */
export function fileProblemsOf(source: Source, config: ImageConfig): FileProblem[] {
  const expectedBytes = config.sectorSizeBytes * config.sectorCount;
  const truncated = truncationProblem(source.presentBytes, expectedBytes, source.offset);
  return truncated === undefined ? [] : [truncated];
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
