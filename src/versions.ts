// The versions the templates pin and the range of Vault releases the generated plugins are tested with, from
// templates/versions.json (in the bundle, inlined at build time).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES_DIR } from './paths.js';
import { PRECOMPILED_VERSIONS } from './precompiled.js';

export interface Versions {
  sdk: string;
  api: string;
  go: string;
  /** The Vault releases at both ends of the range the generated plugins are tested against (`npm run test:oldest`). */
  vault: { oldest: string; newest: string };
  /** Release tools the generated project pins: goreleaser (the release workflow, `make snapshot`), cyclonedx-gomod (SBOMs). */
  tools: { goreleaser: string; cyclonedxGomod: string };
}

export function readVersions(templatesDir = TEMPLATES_DIR): Versions {
  if (templatesDir === TEMPLATES_DIR && PRECOMPILED_VERSIONS) return PRECOMPILED_VERSIONS;
  return JSON.parse(readFileSync(join(templatesDir, 'versions.json'), 'utf8')) as Versions;
}
