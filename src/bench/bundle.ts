import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type * as Esbuild from 'esbuild';

/** The built public API (dist/index.js) beside this module, the core bundle's entry point. */
export const CORE_ENTRY = fileURLToPath(new URL('../index.js', import.meta.url));

/**
 * Bundles `entry` (the built public API by default) for browsers with esbuild: minified,
 * `format` ESM unless told otherwise (QuickJS takes ESM; `iife` suits an engine without
 * modules), everything inlined. Undefined when esbuild, a development dependency, is not
 * installed.
 */
export async function buildCoreBundle(
  options: { entry?: string; format?: 'esm' | 'iife'; globalName?: string } = {},
): Promise<Uint8Array | undefined> {
  let esbuild: typeof Esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined;
  }
  const result = await esbuild.build({
    entryPoints: [options.entry ?? CORE_ENTRY],
    bundle: true,
    minify: true,
    format: options.format ?? 'esm',
    ...(options.globalName === undefined ? {} : { globalName: options.globalName }),
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.contents;
}

/** Size of the browser bundle of the public API (dist/index.js), minified and gzipped. */
export interface BundleReport {
  minifiedBytes: number;
  gzipBytes: number;
}

/**
 * The core bundle's size ({@link buildCoreBundle}, gzip level 9). Undefined when esbuild is
 * not installed.
 */
export async function measureCoreBundle(): Promise<BundleReport | undefined> {
  const bytes = await buildCoreBundle();
  if (bytes === undefined) return undefined;
  return { minifiedBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
}
