// In the bundle this module is replaced by the templates, precompiled at build time (scripts/bundle.mjs), so a run
// reads no template file and compiles nothing. From source it is empty and templates are read and compiled.
import type { FilePolicy } from './render.js';

export interface PrecompiledTemplate {
  /** Template path relative to its layer folder, e.g. `cmd/__name__/main.go.hbs`. */
  path: string;
  executable: boolean;
  policy: FilePolicy;
  /** A Handlebars template specification, or (for a file copied as it is) its path under the templates folder. */
  spec?: unknown;
  file?: string;
}

/** The precompiled templates of one plugin type (shared pieces included), loaded only when that type is rendered. */
export function loadPrecompiled(_type: string): PrecompiledTemplate[] | undefined {
  return undefined;
}
export const PRECOMPILED_VERSIONS: import('./render.js').Versions | undefined = undefined;
