'use strict';
// V8's code cache for the bundle. Parsing and compiling dist/ (about 100 KB of JavaScript for the CLI, as much again
// for one type's templates) is a third of a scaffold's own time; with the cache a run starts from the bytecode an
// earlier run left. Node 22.1 and later keep the cache themselves (module.enableCompileCache); on Node 20 the
// bundle's files are compiled here through vm.Script with the cache V8 produced at the end of an earlier run.
//
// The cache lives in the user's own cache directory ($XDG_CACHE_HOME or ~/.cache, create-vault-plugin/compile-cache),
// never in a shared temporary directory, since its bytes become code. An entry is named by a hash of the file's
// source, the Node version and the architecture, so a new release or another Node never picks up a stale one, and V8
// rejects data made under other flags. NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does for Node's own cache.
//
// An entry holds what the run that made it compiled, so one made by a run that failed early (a typo in a flag) lacks
// the rendering and writing code. Its first byte says whether that run succeeded; the first successful run after a
// failed one writes the entry again, after which it stays as it is.
const { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { homedir } = require('node:os');
const { basename, dirname, join, sep } = require('node:path');

const COMPLETE = 1;
const PARTIAL = 0;
// Entries of other builds of the same file are removed once nobody has written them for this long: two installed
// releases used in turn keep an entry each, and what an uninstalled one left goes away.
const STALE_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

function pruneStale(dir, keep) {
  const stem = `${basename(keep).slice(0, -'.bin'.length).replace(/-[0-9a-f]{32}$/, '')}-`;
  const cutoff = Date.now() - STALE_AFTER_MS;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!name.startsWith(stem) || !/^[0-9a-f]{32}\.bin$/.test(name.slice(stem.length)) || path === keep) continue;
    if (statSync(path).mtimeMs < cutoff) rmSync(path, { force: true });
  }
}

function cacheDirectory(env) {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'create-vault-plugin', 'compile-cache');
}

/**
 * Compiles the files under `distDir` that this process requires with V8's code cache from `dir`. Returns how the
 * cache is kept: 'node' (Node's own), 'vm' (this module's), or 'off'.
 */
function enable(distDir, env = process.env, dir = cacheDirectory(env)) {
  if (env.NODE_DISABLE_COMPILE_CACHE) return 'off';
  const Module = require('node:module');
  if (typeof Module.enableCompileCache === 'function') {
    const { status } = Module.enableCompileCache(dir);
    return status === Module.constants.compileCacheStatus.FAILED ? 'off' : 'node';
  }

  const vm = require('node:vm');
  const { createHash } = require('node:crypto');
  const prefix = distDir.endsWith(sep) ? distDir : distDir + sep;
  const fallback = Module._extensions['.cjs'] || Module._extensions['.js'];
  const produce = [];
  const mainModule = require.main;

  Module._extensions['.cjs'] = function compileWithCache(module, filename) {
    if (!filename.startsWith(prefix)) return fallback.call(this, module, filename);
    const source = readFileSync(filename, 'utf8');
    if (source.startsWith('#!')) return fallback.call(this, module, filename); // only Node strips a hashbang
    const key = createHash('sha256').update(`${process.version} ${process.arch}\n`).update(source).digest('hex').slice(0, 32);
    const entry = join(dir, `${basename(filename, '.cjs')}-${key}.bin`);
    let cachedData;
    let complete = false;
    try {
      const bytes = readFileSync(entry);
      complete = bytes[0] === COMPLETE;
      cachedData = bytes.subarray(1);
    } catch {
      // No entry yet: this run compiles from source and leaves one.
    }
    const script = new vm.Script(Module.wrap(source), { filename, cachedData });
    const usable = cachedData !== undefined && !script.cachedDataRejected;
    if (!usable || !complete) produce.push({ script, entry, always: !usable });
    const wrapper = script.runInThisContext({ displayErrors: true });
    const require = (id) => module.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
    require.cache = Module._cache;
    require.main = mainModule;
    wrapper.call(module.exports, module.exports, require, module, filename, dirname(filename));
  };

  // At exit the cache holds every function the run compiled, not just the top level: the next run skips them all.
  process.once('exit', (code) => {
    const succeeded = code === 0;
    for (const { script, entry, always } of produce) {
      if (!always && !succeeded) continue;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const temporary = `${entry}.${process.pid}.tmp`;
        writeFileSync(temporary, Buffer.concat([Buffer.of(succeeded ? COMPLETE : PARTIAL), script.createCachedData()]), { mode: 0o600 });
        renameSync(temporary, entry);
        pruneStale(dir, entry);
      } catch {
        // A read-only or full cache directory costs speed, never the run.
      }
    }
  });
  return 'vm';
}

module.exports = { enable, cacheDirectory };
