// users.setChannelData / getChannelData / unsetChannelData and the same for objects: push data read back
// in both forms, a second set replacing the first whole, chat data echoed, 404 once unset, 422 naming a field.
import { attempt, knockClient } from '../support.mjs';

export default async function ({ userId, badUserId, collection, pushChannel, chatChannel, teamsTenant }) {
  const knock = knockClient();
  const tokens = await knock.users.setChannelData(userId, pushChannel, { data: { tokens: ['node-1', 'node-2'] } });
  const tokensRead = await knock.users.getChannelData(userId, pushChannel);
  const createdUser = await attempt(knock.users.get(userId));
  await knock.users.setChannelData(userId, pushChannel, {
    data: { devices: [{ token: 'node-3', locale: 'de-DE', timezone: 'Europe/Berlin' }] },
  });
  const replaced = await knock.users.getChannelData(userId, pushChannel);

  const slackData = {
    connections: [
      { incoming_webhook: { url: 'https://hooks.slack.com/services/T/B/node' }, knock_tenant_id: 'acme' },
      { access_token: 'xoxb-node', channel_id: 'C42' },
    ],
  };
  const slack = await knock.users.setChannelData(userId, chatChannel, { data: slackData });
  const unset = await attempt(knock.users.unsetChannelData(userId, chatChannel));
  const unsetAgain = await attempt(knock.users.unsetChannelData(userId, chatChannel));
  const afterUnset = await attempt(knock.users.getChannelData(userId, chatChannel));
  const pushKept = await knock.users.getChannelData(userId, pushChannel);

  const malformed = await attempt(knock.users.setChannelData(badUserId, pushChannel, { data: { tokens: [42] } }));
  const malformedUser = await attempt(knock.users.get(badUserId));

  const teamsData = { connections: [{ ms_teams_tenant_id: teamsTenant }], ms_teams_tenant_id: teamsTenant };
  const objectSet = await knock.objects.setChannelData(collection, 'proj_1', chatChannel, { data: teamsData });
  await knock.objects.setChannelData(collection, 'proj_1', pushChannel, { data: { tokens: ['obj-1'] } });
  const objectRead = await knock.objects.getChannelData(collection, 'proj_1', chatChannel);
  const objectPush = await knock.objects.getChannelData(collection, 'proj_1', pushChannel);
  const createdObject = await knock.objects.get(collection, 'proj_1');
  const objectUnset = await attempt(knock.objects.unsetChannelData(collection, 'proj_1', chatChannel));
  const objectAfterUnset = await attempt(knock.objects.getChannelData(collection, 'proj_1', chatChannel));

  return {
    tokens,
    tokensRead,
    createdUser,
    replaced,
    slack: { sent: slackData, answered: slack },
    unset,
    unsetAgain,
    afterUnset,
    pushKept,
    malformed,
    malformedUser,
    object: {
      sent: teamsData,
      answered: objectSet,
      read: objectRead,
      push: objectPush,
      created: { id: createdObject.id, collection: createdObject.collection, properties: createdObject.properties },
      unset: objectUnset,
      afterUnset: objectAfterUnset,
    },
  };
}
