// objects.set merges shallowly, objects.get reads it back, objects.list pages through one collection,
// objects.delete removes it (and a second delete is a NotFoundError).
import { attempt, collect, knockClient } from '../support.mjs';

export default async function ({ collection, other, encodedCollection, encodedId, listed, createdAt }) {
  const knock = knockClient();
  await knock.objects.set(collection, 'proj_1', { name: 'Apollo', budget: 100, meta: { a: 1, b: 2 } });
  const merged = await knock.objects.set(collection, 'proj_1', {
    timezone: 'America/New_York',
    meta: { a: 9 },
    seats: 3,
  });
  const saved = await knock.objects.set(collection, 'p2', { name: 'Gemini', created_at: createdAt });
  const fetched = await knock.objects.get(collection, 'p2');

  await knock.objects.set(encodedCollection, encodedId, { name: 'Encoded' });
  const encoded = await knock.objects.get(encodedCollection, encodedId);

  for (let index = 0; index < 5; index += 1) {
    await knock.objects.set(listed, `p${index}`, { n: `p${index}` });
  }
  await knock.objects.set(other, 'p0', { preferences: { default: { categories: { marketing: false } } } });
  const firstPage = await knock.objects.list(listed, { page_size: 2 });
  const entries = await collect(knock.objects.list(listed, { page_size: 2 }));
  const withPreferences = await collect(knock.objects.list(other, { include: ['preferences'] }));

  const deleted = await attempt(knock.objects.delete(collection, 'proj_1'));
  const afterDelete = await attempt(knock.objects.get(collection, 'proj_1'));
  const deletedAgain = await attempt(knock.objects.delete(collection, 'proj_1'));

  return {
    merged,
    saved,
    fetched,
    encoded: { collection: encoded.collection, id: encoded.id },
    firstPage: { entries: firstPage.entries.length, hasNextPage: firstPage.hasNextPage() },
    entries,
    withPreferencesIds: withPreferences.map((entry) => entry.id),
    deleted,
    afterDelete,
    deletedAgain,
  };
}
