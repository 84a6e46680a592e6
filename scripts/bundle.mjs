// Bundles the CLI and its runtime dependencies into dist/, so the published package installs with no dependencies.
// Prompts and child-process code are split into chunks that load only when used, and the Handlebars templates are
// precompiled into one chunk per plugin type (src/precompiled.ts is replaced by their loader) so a run compiles
// nothing and parses only the templates of the type it renders. Files copied as they are
// (go.sum, .gitignore) stay files under templates/, read when rendered; the .hbs sources are not packed.
// The plugin types, and with them the template chunks, come from src/catalog.ts: nothing here lists them.
//
// For the tests only (this script is not in the package): `--catalog <module>` adds the records that module exports
// by default to the catalog, and `--out <dir>` bundles into <dir>/dist with templates from <dir>/templates, so a test
// can build a package with a throw-away type without touching this checkout. `--without <list>` (for
// `npm run bench -- --each`) leaves start-up optimisations out, so each one's gain is measured: lazy-chunks (prompts,
// doctor and execa inside cli.cjs), minify. (A lazy child_process for commander and a tty stand-in for chalk were
// dropped: the bench showed no gain for either on Node 22 or 24.)
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, transform } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({ options: { catalog: { type: 'string' }, out: { type: 'string' }, without: { type: 'string' } } });
const out = args.out ? resolve(args.out) : root;
const templatesDir = join(out, 'templates');
// Built beside dist/ and swapped in at the end, so a CLI run (or a test) started meanwhile never finds dist/ half written.
const finalDist = join(out, 'dist');
const dist = join(out, `.dist-${process.pid}`);
const without = new Set((args.without ?? '').split(',').filter(Boolean));
const common = { bundle: true, format: 'esm', platform: 'node', target: 'node20.19', logLevel: 'warning' };

/** With --catalog, src/catalog.ts gains the extra module's records as it loads, in every bundle made here. */
const extraCatalog = {
  name: 'extra-catalog',
  setup(b) {
    if (!args.catalog) return;
    const extra = resolve(args.catalog);
    b.onLoad({ filter: /[\\/]src[\\/]catalog\.ts$/ }, (a) => ({
      contents: `${readFileSync(a.path, 'utf8')}\nimport __extraTypes from ${JSON.stringify(extra)};\n(CATALOG as unknown as PluginType[]).push(...__extraTypes);\n`,
      loader: 'ts',
    }));
  },
};

// The catalog, the template walk and policy parsing are the source's own, loaded through a throwaway bundle.
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
const scratch = mkdtempSync(join(root, 'node_modules/.cache/cvp-bundle-'));
let precompiledModule;
let chunks;
try {
  await build({
    ...common,
    stdin: { contents: "export * from './src/render.ts'; export { CATALOG } from './src/catalog.ts';", resolveDir: root, loader: 'ts' },
    outfile: join(scratch, 'render.mjs'),
    external: ['handlebars'],
    plugins: [extraCatalog],
  });
  const { templateFiles, parseTemplate, readVersions, CATALOG } = await import(pathToFileURL(join(scratch, 'render.mjs')).href);
  const { default: Handlebars } = await import('handlebars');
  const byType = {};
  for (const { name: type } of CATALOG) {
    byType[type] = templateFiles(templatesDir, type).map(({ path, file }) => {
      const { policy, body } = parseTemplate(readFileSync(file, 'utf8'));
      const executable = (statSync(file).mode & 0o111) !== 0;
      const head = `{path:${JSON.stringify(path)},executable:${executable},policy:${JSON.stringify(policy)}`;
      return path.endsWith('.hbs')
        ? `${head},spec:${Handlebars.precompile(body, { noEscape: true, strict: true })}}`
        : `${head},file:${JSON.stringify(relative(templatesDir, file).split('\\').join('/'))}}`;
    });
  }
  chunks = Object.fromEntries(Object.entries(byType).map(([t, list]) => [t, `module.exports = [${list.join(',')}];`]));
  precompiledModule = [
    `export function loadPrecompiled(type) {`,
    `  switch (type) {`,
    ...Object.keys(byType).map((t) => `    case ${JSON.stringify(t)}: return require(${JSON.stringify(`./templates-${t}.cjs`)});`),
    `    default: return undefined;`,
    `  }`,
    `}`,
    `export const PRECOMPILED_VERSIONS = ${JSON.stringify(readVersions(templatesDir))};`,
  ].join('\n');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

rmSync(dist, { recursive: true, force: true });
// CommonJS loads faster than ES modules at start-up. Prompts and child-process code are separate files that a run
// loads only when it needs them (interactive, building, doctor); everything else is one file.
const LAZY = { './prompts.js': './prompts.cjs', './doctor-command.js': './doctor.cjs', execa: './execa.cjs' };
const cjs = {
  ...common,
  absWorkingDir: root,
  format: 'cjs',
  // import() of a chunk becomes require(), so every file of dist/ loads through one path (and V8's code cache, see
  // bin/compile-cache.cjs).
  supported: { 'dynamic-import': false },
  minify: process.env.CVP_NO_MINIFY !== '1' && !without.has('minify'),
  metafile: true,
  legalComments: 'none',
  define: { 'import.meta.url': '__cvpModuleUrl' },
  banner: { js: "const __cvpModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
};
const lazyExternals = {
  name: 'lazy-externals',
  setup(b) {
    b.onResolve({ filter: /^(\.\/prompts\.js|\.\/doctor-command\.js|execa)$/ }, (args) =>
      args.kind === 'dynamic-import' && !without.has('lazy-chunks') ? { path: LAZY[args.path], external: true } : undefined,
    );
  },
};
const results = await Promise.all([
  build({
    ...cjs,
    entryPoints: ['src/cli.ts'],
    outfile: join(dist, 'cli.cjs'),
    plugins: [
      extraCatalog,
      lazyExternals,
      {
        name: 'precompiled-templates',
        setup(b) {
          b.onLoad({ filter: /[\\/]src[\\/]precompiled\.ts$/ }, () => ({ contents: precompiledModule, loader: 'js' }));
          b.onResolve({ filter: /^\.\/templates-[a-z0-9-]+\.cjs$/ }, (args) => ({ path: args.path, external: true }));
          // With every template precompiled, the bundle needs only Handlebars' runtime, not its compiler.
          b.onResolve({ filter: /^handlebars$/ }, () => ({ path: join(root, 'node_modules/handlebars/dist/cjs/handlebars.runtime.js') }));
        },
      },
    ],
  }),
  build({ ...cjs, entryPoints: ['src/prompts.ts'], outfile: join(dist, 'prompts.cjs'), plugins: [extraCatalog] }),
  build({ ...cjs, entryPoints: ['src/doctor-command.ts'], outfile: join(dist, 'doctor.cjs'), plugins: [extraCatalog] }),
  build({ ...cjs, entryPoints: ['node_modules/execa/index.js'], outfile: join(dist, 'execa.cjs') }),
]);
for (const [type, code] of Object.entries(chunks)) {
  const { code: minified } = await transform(code, { format: 'cjs', minify: true, target: 'node20.19' });
  writeFileSync(join(dist, `templates-${type}.cjs`), minified);
}
const metafile = { inputs: Object.assign({}, ...results.map((r) => r.metafile.inputs)) };

// The bundled packages' licenses travel with their code.
const packages = new Set();
for (const input of Object.keys(metafile.inputs)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match) packages.add(match[1]);
}
const notices = [...packages].sort().map((name) => {
  const dir = join(root, 'node_modules', name);
  const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  return `${name}@${version} (${license})\n\n${file ? readFileSync(join(dir, file), 'utf8').trim() : ''}\n`;
});
writeFileSync(join(dist, 'THIRD_PARTY_LICENSES.txt'), `create-vault-plugin bundles these packages:\n\n${notices.join('\n---\n\n')}`);

// `--help` and `--version` are answered by bin/ without loading the bundle: the help text is rendered here, once.
const { helpText } = await import(pathToFileURL(join(dist, 'cli.cjs')).href);
writeFileSync(join(dist, 'help.txt'), helpText());

const previous = join(out, `.dist-old-${process.pid}`);
if (existsSync(finalDist)) renameSync(finalDist, previous);
renameSync(dist, finalDist);
rmSync(previous, { recursive: true, force: true });
