// objects.bulk.addSubscriptions (a referenced user, an inline user, an inline object, an entry with properties
// null as the SDK's own example sends, and one naming a bad id) and objects.bulk.deleteSubscriptions (a user
// never subscribed, an object as a {collection, id} reference), each polled with bulkOperations.get until it
// has finished; objects.listSubscriptions after each (the bad entry's object too) and users.get of the
// inline user.
import { attempt, collect, knockClient, waitForOperation } from '../support.mjs';

export default async function ({ collection, teams, adaId, bobId }) {
  const knock = knockClient();
  const subscribers = async (objectId) => {
    const entries = await collect(knock.objects.listSubscriptions(collection, objectId));
    return entries.map((entry) => ({ id: entry.recipient.id, properties: entry.properties }));
  };

  await knock.users.update(adaId, { name: 'Ada' });
  const addQueued = await knock.objects.bulk.addSubscriptions(collection, {
    subscriptions: [
      {
        id: 'p1',
        recipients: [adaId, { id: bobId, name: 'Bob' }, { id: 'eng', collection: teams, name: 'Engineering' }],
        properties: { role: 'admin' },
      },
      { id: 'p2', recipients: [adaId], properties: null },
      { id: 'p3', recipients: ['bad#id'] },
    ],
  });
  const addFinished = await waitForOperation(knock, addQueued.id);
  const afterAdd = { p1: await subscribers('p1'), p2: await subscribers('p2'), p3: await attempt(subscribers('p3')) };
  const bob = await knock.users.get(bobId);
  const team = await knock.objects.get(teams, 'eng');

  const deleteQueued = await knock.objects.bulk.deleteSubscriptions(collection, {
    subscriptions: [
      { id: 'p1', recipients: [bobId, { collection: teams, id: 'eng' }] },
      { id: 'p2', recipients: [adaId, bobId] },
    ],
  });
  const deleteFinished = await waitForOperation(knock, deleteQueued.id);
  const afterDelete = { p1: await subscribers('p1'), p2: await subscribers('p2') };

  return { addQueued, addFinished, afterAdd, bob, team, deleteQueued, deleteFinished, afterDelete };
}
