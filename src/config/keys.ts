/**
 * The one mapping between schema keys and their outside names, so that a setting has exactly three
 * spellings that can be derived from each other:
 *   schema `server.httpPort`  <->  INI `[server] http_port`  <->  env `PATCHBAY_SERVER_HTTP_PORT`.
 */
import type { z } from 'zod';
import type { FieldMeta } from './fields.js';
import { sectionNames, sectionShapes, type SectionName } from './schema.js';

export const envPrefix = 'PATCHBAY_';

/** `httpPort` -> `http_port`, `pinnedSha256` -> `pinned_sha256`. */
export function toIniKey(schemaKey: string): string {
  return schemaKey.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function toEnvName(section: string, iniKey: string): string {
  return `${envPrefix}${section.toUpperCase()}_${iniKey.toUpperCase()}`;
}

export interface FieldInfo {
  section: SectionName;
  /** camelCase key in the schema and in the Config object. */
  key: string;
  /** snake_case key in the INI file. */
  iniKey: string;
  /** `section.ini_key`, the path used in every message. */
  iniPath: string;
  envName: string;
  meta: FieldMeta;
}

function metaOf(schema: z.ZodType): FieldMeta {
  const m = schema.meta() as FieldMeta | undefined;
  if (!m || typeof m.description !== 'string') throw new Error('config field without metadata');
  return m;
}

function buildFields(): readonly FieldInfo[] {
  const out: FieldInfo[] = [];
  for (const section of sectionNames) {
    const shape = sectionShapes[section].shape as Record<string, z.ZodType>;
    for (const [key, schema] of Object.entries(shape)) {
      const iniKey = toIniKey(key);
      out.push({
        section,
        key,
        iniKey,
        iniPath: `${section}.${iniKey}`,
        envName: toEnvName(section, iniKey),
        meta: metaOf(schema),
      });
    }
  }
  return Object.freeze(out);
}

/** Every setting, in reference order. */
export const configFields: readonly FieldInfo[] = buildFields();

const byIniPath = new Map(configFields.map((f) => [f.iniPath, f]));
const bySchemaPath = new Map(configFields.map((f) => [`${f.section}.${f.key}`, f]));
const byEnvName = new Map(configFields.map((f) => [f.envName, f]));

export function fieldByIniPath(section: string, iniKey: string): FieldInfo | undefined {
  return byIniPath.get(`${section}.${iniKey}`);
}

export function fieldBySchemaPath(section: string, key: string): FieldInfo | undefined {
  return bySchemaPath.get(`${section}.${key}`);
}

export function fieldByEnvName(name: string): FieldInfo | undefined {
  return byEnvName.get(name);
}

export function isSectionName(name: string): name is SectionName {
  return (sectionNames as string[]).includes(name);
}
