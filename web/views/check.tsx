import { useMemo, useState } from 'preact/hooks';
import { bytesToHex } from '../../src/bytes.js';
import { checkImage } from '../../src/image/check.js';
import { type RepairResult, repairImage } from '../../src/image/open.js';
import {
  type FileProblem,
  type OpenedImageFile,
  openImageFile,
} from '../../src/image/open-file.js';
import { showBytes } from '../../src/image/report.js';
import { SectorMap } from './map.js';

// ---- Check and repair dry run ----

export function CheckView(props: {
  /** The image as opened: it carries its own file problems (a config that sees nothing). */
  image: OpenedImageFile;
  /** Problems of the file itself (a truncated dump), as `flashkv check` lists them. */
  fileProblems: readonly FileProblem[];
}) {
  const verdict = useMemo(() => {
    const fileProblems: FileProblem[] = [...props.fileProblems, ...props.image.fileProblems];
    return checkImage({ ...props.image, fileProblems });
  }, [props.image, props.fileProblems]);
  const [dryRun, setDryRun] = useState<RepairResult | undefined>(undefined);
  const marked = new Set(
    verdict.problems.flatMap((problem) => (problem.sector === undefined ? [] : [problem.sector])),
  );
  const run = (heavy: boolean): void =>
    setDryRun(
      repairImage(
        openImageFile(props.image.original, {
          name: props.image.name,
          config: props.image.config,
          purpose: 'repair',
        }),
        heavy,
      ),
    );
  return (
    <section>
      <p class={verdict.ok ? 'ok' : 'bad'} data-testid="verdict">
        {verdict.ok ? 'OK: no problems' : `${verdict.problems.length} problem(s)`}
      </p>
      <ul class="problems">
        {verdict.problems.map((problem, i) => (
          <li key={i} data-kind={problem.kind} data-sector={problem.sector ?? ''}>
            {problem.message}
          </li>
        ))}
      </ul>
      <SectorMap scan={props.image.scan} marked={marked} label="Problems on the map" />
      <div class="toolbar">
        <button type="button" onClick={() => run(false)}>
          Repair dry run
        </button>
        <button type="button" onClick={() => run(true)}>
          Heavy repair dry run
        </button>
      </div>
      {dryRun !== undefined && (
        <div class="before-after" data-testid="dry-run">
          <p>
            Would change sectors {dryRun.changedSectors.join(', ') || 'none'}; keeps{' '}
            {dryRun.effect.keysAfter} of {dryRun.effect.keysBefore} keys;{' '}
            {dryRun.after.problems.length} problem(s) after. Nothing is written.
          </p>
          {dryRun.effect.lostKeys.map((key) => (
            <p key={bytesToHex(key)}>lost: key {showBytes(key)}</p>
          ))}
          {dryRun.effect.olderValueKeys.map((key) => (
            <p key={bytesToHex(key)}>older value: key {showBytes(key)}</p>
          ))}
          <div class="columns">
            <SectorMap
              scan={props.image.scan}
              marked={new Set(dryRun.changedSectors)}
              label="Before repair"
            />
            <SectorMap
              scan={dryRun.after}
              marked={new Set(dryRun.changedSectors)}
              label="After repair"
            />
          </div>
        </div>
      )}
    </section>
  );
}
