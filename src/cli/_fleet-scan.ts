import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { checkImage } from '../image/check.js';
import { type FleetCell, type FleetRows, fleetConfigText, fleetRows } from '../image/fleet.js';
import { readImageFile } from '../node/image-file.js';
import { describeError } from './_errors.js';
import { type ConfigArgs, openImage } from './_image.js';

// One dump of `flashkv fleet ingest`, from its path to its rows: read, hash, open with the
// same config resolution as `check` (IMAGE.json beside it, --config, flags, --detect), check,
// and turn into the fleet tables' rows. Never throws: a dump that cannot be read or opened is
// an `unreadable` row with the reason.

/** A dump scanned for the fleet: its rows, or `skipped` when the database already holds it. */
export type ScannedDump =
  | { readonly skipped: true; readonly dumpId: string; readonly path: string }
  | ({ readonly skipped: false; readonly dumpId: string; readonly path: string } & FleetRows);

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The id of a dump in the fleet tables: a hash of the file's SHA-256 and its config (so the
 * same bytes under another config are another dump), the same on every machine.
 */
export function dumpIdOf(fileSha256: string, config: string): string {
  return sha256(`${fileSha256}\n${config}`).slice(0, 32);
}

function fileFacts(path: string, bytes: Uint8Array | undefined): Record<string, FleetCell> {
  return {
    path,
    file_name: basename(path),
    sha256: bytes === undefined ? null : sha256(bytes),
    size_bytes: bytes === undefined ? null : bytes.length,
  };
}

/**
 * Scans one dump. `isKnown(dumpId)`: whether the database already holds it (then only its id
 * is returned, nothing is checked).
 */
export function scanDump(
  path: string,
  args: ConfigArgs,
  isKnown: (dumpId: string) => boolean,
): ScannedDump {
  let bytes: Uint8Array | undefined;
  try {
    bytes = readImageFile(path);
    const image = openImage(path, args, { forWriting: false, quiet: true }, bytes);
    const facts = fileFacts(path, bytes);
    const dumpId = dumpIdOf(facts.sha256 as string, fleetConfigText(image));
    if (isKnown(dumpId)) return { skipped: true, dumpId, path };
    const rows = fleetRows(image, checkImage(image));
    return { skipped: false, dumpId, path, ...rows, dump: { ...facts, ...rows.dump } };
  } catch (error) {
    const facts = fileFacts(path, bytes);
    const reason = describeError(error);
    // Unreadable: keyed by the bytes (or, with none, the path) and the reason, so the same
    // failure is not listed twice, and a later ingest that can read it adds its rows.
    const dumpId = dumpIdOf(
      (facts.sha256 as string | null) ?? sha256(path),
      `unreadable\n${reason}`,
    );
    if (isKnown(dumpId)) return { skipped: true, dumpId, path };
    return {
      skipped: false,
      dumpId,
      path,
      dump: { ...facts, state: 'unreadable', reason },
      sectors: [],
      entries: [],
      keys: [],
      problems: [],
    };
  }
}
