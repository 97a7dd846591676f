// users.update (identify) merges custom properties, users.get reads them back, ids are encoded exactly.
import { knockClient } from '../support.mjs';

export default async function ({ userId, createdAt, encodedId, renamedId }) {
  const knock = knockClient();
  const first = await knock.users.update(userId, { name: 'Ada', plan: 'pro', prefs: { theme: 'dark' } });
  const merged = await knock.users.update(userId, { email: 'ada@example.com', seats: 3, created_at: createdAt });
  const fetched = await knock.users.get(userId);

  let encoded;
  try {
    await knock.users.update(encodedId, { name: 'Encoded' });
    encoded = await knock.users.get(encodedId);
  } finally {
    await knock.users.delete(encodedId);
  }

  // Each call sends its own Idempotency-Key, so the second identify is not a replay of the first
  await knock.users.update(renamedId, { name: 'First' });
  await knock.users.update(renamedId, { name: 'Second' });
  const renamed = await knock.users.get(renamedId);

  return { first, merged, fetched, encodedId: encoded.id, renamedName: renamed.name };
}
