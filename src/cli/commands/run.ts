import { dirname, resolve } from 'node:path';
import { defineCommand } from 'citty';
import { parseScenario } from '../../scenario/scenario.js';
import { runScenario, scenarioReportJson } from '../../scenario/run-scenario.js';
import { orFail } from '../_errors.js';
import { writeFile } from '../_image.js';
import { print, readJsonFile, readUserFile } from '../_io.js';

export default defineCommand({
  meta: {
    name: 'run',
    description: [
      "Run a scenario file and print every op's result as JSON.",
      "  Scenario files are the reference cases' format; the flash is in memory.",
      '  Examples:',
      '    flashkv run basic-001.json --image-out out.bin',
    ].join('\n'),
  },
  args: {
    scenario: { type: 'positional', description: 'Scenario JSON file', required: true },
    'image-out': { type: 'string', description: 'Write the final flash image to this file' },
  },
  run({ args }) {
    const path = args.scenario;
    const json = readJsonFile(path, 'scenario file') as Record<string, unknown> | null;
    // A reference case file holds its scenario under "scenario": accept it as it is.
    const isCase =
      json !== null && typeof json === 'object' && !('ops' in json) && 'scenario' in json;
    const prefix = `scenario file ${path}: `;
    const scenario = orFail(() => parseScenario(isCase ? json.scenario : json), { prefix });
    const imageIn =
      scenario.imageIn === null
        ? undefined
        : readUserFile(resolve(dirname(path), scenario.imageIn), 'image_in');
    const report = orFail(() => runScenario(scenario, imageIn), { prefix });
    const imageOut = args['image-out'];
    if (imageOut !== undefined) writeFile(imageOut, report.image);
    print(scenarioReportJson(report, 1));
  },
});
