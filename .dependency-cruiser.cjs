// The layers, bottom up, and what each may import (`npm run lint` runs this):
//   base     src/{status,bytes,utf8,random}.ts — anyone may import them
//   flash    src/flash     — base only
//   format   src/format    — base only
//   engine   src/engine    — flash, format, base
//   image    src/image     — engine and below
//   tools    src/{scenario,torture,wear,bench} — image and below, and each other
//   entries  src/index.ts, src/internal.ts — the core (everything above), never node or cli
//   node     src/node      — the core; never cli
//   cli      src/cli       — anything in src
//   web      web/          — the image layer and base only (the page renders what it decodes)
// and nothing anywhere in a cycle; a file named _*.ts is private to its folder of src. A wrong
// import fails the lint with the rule's name.
const BASE = '^src/(status|bytes|utf8|random)[.]ts$';
const CORE_ENTRIES = '^src/(index|internal)[.]ts$';

/** A rule: modules matching `from` may import only `allowed` (besides npm packages). */
function only(name, comment, from, allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { pathNot: [...allowed, BASE, '^node_modules/'], dependencyTypesNot: ['core'] },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles hide the order of initialisation and tie layers together.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'underscore-files-are-private',
      comment: 'A file named _*.ts is private to its folder of src (and the folders below it).',
      severity: 'error',
      from: { path: '^(src/[^/]+|web)/' },
      to: { path: '/_[^/]+$', pathNot: ['^$1/', '^node_modules/'] },
    },
    only(
      'base-is-the-bottom',
      'The base modules import nothing of the project but each other.',
      BASE,
      [],
    ),
    only(
      'flash-stands-alone',
      'The flash layer knows nothing of entries or the store.',
      '^src/flash/',
      ['^src/flash/'],
    ),
    only(
      'format-stands-alone',
      'The entry format knows nothing of the flash or the store.',
      '^src/format/',
      ['^src/format/'],
    ),
    only(
      'engine-over-flash-and-format',
      'The engine builds on the flash and the format only.',
      '^src/engine/',
      ['^src/(engine|flash|format)/'],
    ),
    only(
      'image-over-the-engine',
      'The image layer builds on the engine and below.',
      '^src/image/',
      ['^src/(image|engine|flash|format)/'],
    ),
    only(
      'tools-over-the-core',
      'Scenarios, torture, wear and bench build on the core, never on Node code.',
      '^src/(scenario|torture|wear|bench)/',
      ['^src/(scenario|torture|wear|bench|image|engine|flash|format)/'],
    ),
    only(
      'entries-export-the-core',
      'The package entry points export the core only.',
      CORE_ENTRIES,
      ['^src/(scenario|torture|wear|bench|image|engine|flash|format)/'],
    ),
    only('node-under-the-cli', 'Node code serves the CLI; it never imports it.', '^src/node/', [
      '^src/(node|scenario|torture|wear|bench|image|engine|flash|format)/',
      CORE_ENTRIES,
    ]),
    only('web-on-the-image-layer', 'The page renders what the image layer decodes.', '^web/', [
      '^web/',
      '^src/image/',
    ]),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.js'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
