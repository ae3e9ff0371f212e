/**
 * Creates the demo union in the configured database (the same environment variables as the
 * server), for a deployment that was started without demo mode. Never runs implicitly.
 */
import { createRepositories } from '@yunzhen/db';

import { loadConfig, openResources, seedDemoUnion } from '../server/src/index.js';

const resources = await openResources(loadConfig(process.env));
try {
  const created = await seedDemoUnion(resources.db.kysely);
  process.stdout.write(created ? 'Demo union created.\n' : 'Demo union already present.\n');
} finally {
  await resources.close();
}
