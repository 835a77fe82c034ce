// The D1 databases a wrangler config binds, for the scripts that migrate and deploy them. `DB` is
// the primary and shard 0; SHARD_1, SHARD_2, … are the further shards (docs/capacity.md,
// "Shards"). Every one of them gets the same migrations, so the scripts never name a binding: they
// take the list from the config, in its order.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { experimental_readRawConfig } from 'wrangler';

/**
 * The config the remote steps use: the source config with the account's ids. Written into the
 * project root (relative paths in it, such as `migrations_dir`, then mean what they meant), used
 * with `--config`, removed afterwards; git-ignored.
 */
export const DEPLOY_CONFIG = 'wrangler.deploy.json';

/**
 * The ids wrangler.toml ships with, which mean "not created yet": zeros, except that the last four
 * hex digits may number the shard (`…-000000000001`), so each placeholder still names its own local
 * database. With or without dashes (KV ids have none).
 */
const PLACEHOLDER_ID = /^0{8}-?0{4}-?0{4}-?0{4}-?0{8}[0-9a-f]{4}$/i;

/** An id set in the config by hand, or null for none or a shipped placeholder. */
export const realId = (/** @type {string | undefined} */ id) => (id && !PLACEHOLDER_ID.test(id) ? id : null);

/**
 * @typedef {{ binding: string; database_name: string; database_id?: string; migrations_dir?: string }} D1Database
 */

/**
 * The `[[d1_databases]]` of a raw config, in order. Each needs a binding and a database_name
 * (remote steps find a database by its name), and no two may share a name (two bindings on one
 * database would be one shard counted twice).
 * @param {Record<string, any>} rawConfig
 * @param {string} configName for messages
 * @returns {D1Database[]}
 */
export function d1Databases(rawConfig, configName) {
  /** @type {D1Database[]} */
  const databases = rawConfig['d1_databases'] ?? [];
  if (databases.length === 0) throw new Error(`${configName} binds no D1 database.`);
  /** @type {Set<string>} */
  const names = new Set();
  for (const db of databases) {
    if (!db.binding || !db.database_name)
      throw new Error(`${configName}: every [[d1_databases]] entry needs a binding and a database_name.`);
    if (names.has(db.database_name))
      throw new Error(`${configName}: two D1 bindings use the database_name "${db.database_name}".`);
    names.add(db.database_name);
  }
  return databases;
}

/**
 * The D1 databases of a config file (relative to the working directory).
 * @param {string} configPath
 */
export function readD1Databases(configPath) {
  const { rawConfig } = experimental_readRawConfig({ config: configPath });
  return d1Databases(rawConfig, configPath);
}

/**
 * Writes DEPLOY_CONFIG into `root`: `rawConfig` with each D1 binding's id from `ids` (binding →
 * id) and the KV bindings without their placeholder ids (left to wrangler deploy's provisioning).
 * @param {string} root
 * @param {Record<string, any>} rawConfig
 * @param {Map<string, string>} ids
 */
export function writeDeployConfig(root, rawConfig, ids) {
  const config = structuredClone(rawConfig);
  config['d1_databases'] = (config['d1_databases'] ?? []).map((/** @type {D1Database} */ db) => {
    const id = ids.get(db.binding);
    return id === undefined ? db : { ...db, database_id: id };
  });
  config['kv_namespaces'] = (config['kv_namespaces'] ?? []).map((/** @type {{ id?: string }} */ { id, ...kv }) =>
    realId(id) ? { ...kv, id } : kv,
  );
  writeFileSync(join(root, DEPLOY_CONFIG), JSON.stringify(config, null, 2));
}
