// users.getPreferences / setPreferences (replace, then "__persistence_strategy__": "merge") / listPreferences /
// unsetPreferences, the same for objects, and users.bulk.setPreferences polled with bulkOperations.get.
import { attempt, knockClient, waitForOperation } from '../support.mjs';

const US_ONLY = { conditions: [{ variable: 'recipient.country_code', operator: 'equal_to', argument: 'US' }] };

async function userSets(knock, { userId }) {
  const empty = await knock.users.getPreferences(userId, 'default');
  const replaced = await knock.users.setPreferences(userId, 'default', {
    channel_types: { email: true, sms: US_ONLY },
    workflows: { 'new-comment': { channel_types: { email: false, push: false } } },
    commercial_subscribed: true,
  });
  const merged = await knock.users.setPreferences(userId, 'default', {
    __persistence_strategy__: 'merge',
    workflows: { 'new-comment': { channel_types: { push: true } }, digest: false },
  });
  const replacedAgain = await knock.users.setPreferences(userId, 'tenant-acme', { categories: { news: false } });
  const withTenant = await knock.users.getPreferences(userId, 'default', { tenant: 'tenant-acme' });
  const listed = await knock.users.listPreferences(userId);
  const unset = await attempt(knock.users.unsetPreferences(userId, 'default'));
  const afterUnset = await knock.users.getPreferences(userId, 'default');
  const listedAfterUnset = await knock.users.listPreferences(userId);
  return { empty, replaced, merged, replacedAgain, withTenant, listed, unset, afterUnset, listedAfterUnset };
}

async function objectSets(knock, { collection }) {
  const empty = await knock.objects.getPreferences(collection, 'proj_1', 'default');
  const replaced = await knock.objects.setPreferences(collection, 'proj_1', 'default', {
    categories: { alerts: { channel_types: { email: false, sms: true } } },
  });
  const merged = await knock.objects.setPreferences(collection, 'proj_1', 'default', {
    __persistence_strategy__: 'merge',
    categories: { alerts: { channel_types: { sms: false } } },
  });
  const listed = await knock.objects.listPreferences(collection, 'proj_1');
  const unset = await attempt(knock.objects.unsetPreferences(collection, 'proj_1', 'default'));
  const afterUnset = await knock.objects.getPreferences(collection, 'proj_1', 'default');
  const listedAfterUnset = await knock.objects.listPreferences(collection, 'proj_1');
  return { empty, replaced, merged, listed, unset, afterUnset, listedAfterUnset };
}

async function bulkSets(knock, { bulkIds }) {
  await knock.users.setPreferences(bulkIds[0], 'default', { workflows: { old: true } });
  const queued = await knock.users.bulk.setPreferences({
    user_ids: [...bulkIds, 'bad#id'],
    preferences: { channel_types: { sms: false } },
  });
  const finished = await waitForOperation(knock, queued.id);
  const sets = await Promise.all(bulkIds.map((id) => knock.users.getPreferences(id, 'default')));
  return { queued, finished, sets };
}

export default async function (input) {
  const knock = knockClient();
  const [users, objects, bulk] = await Promise.all(
    [userSets, objectSets, bulkSets].map((flow) => flow(knock, input)),
  );
  return { users, objects, bulk };
}
