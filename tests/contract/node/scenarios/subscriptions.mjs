// objects.addSubscriptions with a user id, an inline user and an inline object; objects.listSubscriptions in
// both modes with the recipients and objects filters (the SDK sends arrays starting with an object indexed,
// others in bracket form: the query strings it sent are returned too), include preferences, and its
// iterator over pages of two; objects.deleteSubscriptions; users.listSubscriptions with an objects filter;
// and the errors of a recipient never identified and of an object that does not exist.
import { attempt, collect, knockClient } from '../support.mjs';

export default async function ({ projects, teams, adaId, bobId, pagedIds, neverId }) {
  const sent = [];
  const knock = knockClient({
    fetch: (url, init) => {
      sent.push(decodeURIComponent(new URL(url).search));
      return fetch(url, init);
    },
  });
  const lastQuery = () => sent[sent.length - 1];
  const team = { id: 'eng', collection: teams };

  await knock.users.setPreferences(adaId, 'default', { channel_types: { email: false } });
  const added = await knock.objects.addSubscriptions(projects, 'apollo', {
    recipients: [adaId, { id: bobId, email: 'bob@example.com' }, { ...team, name: 'Engineering' }],
    properties: { role: 'admin' },
  });
  const again = await knock.objects.addSubscriptions(projects, 'apollo', {
    recipients: [adaId],
    properties: { role: 'viewer' },
  });

  const objectFirst = await knock.objects.listSubscriptions(projects, 'apollo', { recipients: [team, adaId] });
  const objectFirstQuery = lastQuery();
  const idFirst = await knock.objects.listSubscriptions(projects, 'apollo', { recipients: [bobId, team] });
  const idFirstQuery = lastQuery();
  const withPreferences = await knock.objects.listSubscriptions(projects, 'apollo', { include: ['preferences'] });
  const withPreferencesQuery = lastQuery();

  for (const project of ['p1', 'p2', 'p3']) {
    await knock.objects.addSubscriptions(projects, project, { recipients: [team, adaId] });
  }
  const teamSubscribed = await collect(knock.objects.listSubscriptions(teams, 'eng', { mode: 'recipient' }));
  const teamFiltered = await knock.objects.listSubscriptions(teams, 'eng', {
    mode: 'recipient',
    objects: [
      { collection: projects, id: 'p1' },
      { collection: projects, id: 'p3' },
    ],
  });
  const teamFilteredQuery = lastQuery();
  const userFiltered = await knock.users.listSubscriptions(adaId, {
    objects: [
      { collection: projects, id: 'apollo' },
      { collection: projects, id: 'p2' },
    ],
  });
  const userFilteredQuery = lastQuery();
  const userAll = await collect(knock.users.listSubscriptions(adaId, { page_size: 2 }));

  await knock.objects.addSubscriptions(projects, 'paged', { recipients: pagedIds.map((id) => ({ id })) });
  const before = sent.length;
  const paged = await collect(knock.objects.listSubscriptions(projects, 'paged', { page_size: 2 }));
  const pagedRequests = sent.length - before;

  const deleted = await knock.objects.deleteSubscriptions(projects, 'apollo', {
    recipients: [bobId, 'nobody', team],
  });
  const afterDelete = await collect(knock.objects.listSubscriptions(projects, 'apollo'));

  const unknown = await attempt(
    knock.objects.addSubscriptions(projects, 'apollo', { recipients: [adaId, neverId] }),
  );
  const missing = await attempt(knock.objects.listSubscriptions(projects, 'nothing-here'));
  const badFilter = await attempt(knock.users.listSubscriptions(adaId, { objects: [{ id: 'p1' }] }));

  const recipientIds = (page) => page.entries.map((entry) => entry.recipient.id);
  return {
    added,
    again,
    objectFirst: { ids: recipientIds(objectFirst), query: objectFirstQuery },
    idFirst: { ids: recipientIds(idFirst), query: idFirstQuery },
    withPreferences: { entries: withPreferences.entries, query: withPreferencesQuery },
    teamSubscribed: teamSubscribed.map((entry) => entry.object.id),
    teamFiltered: { ids: teamFiltered.entries.map((entry) => entry.object.id), query: teamFilteredQuery },
    userFiltered: { ids: userFiltered.entries.map((entry) => entry.object.id), query: userFilteredQuery },
    userAll: userAll.map((entry) => entry.object.id),
    paged: { ids: paged.map((entry) => entry.recipient.id), requests: pagedRequests },
    deleted: deleted.map((entry) => entry.recipient.id),
    afterDelete: afterDelete.map((entry) => entry.recipient.id),
    unknown,
    missing,
    badFilter,
  };
}
