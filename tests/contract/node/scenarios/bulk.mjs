// users.bulk.identify / users.bulk.delete and objects.bulk.set / objects.bulk.delete, each polled with
// bulkOperations.get until it has finished. The four run side by side: they touch different recipients.
import { attempt, collect, knockClient, waitForOperation } from '../support.mjs';

async function identifyUsers(knock, { identifyIds }) {
  const users = identifyIds.map((id, rank) => ({ id, name: `User ${rank}`, rank }));
  users.push({ id: 'bad#id' });
  const queued = await knock.users.bulk.identify({ users });
  const finished = await waitForOperation(knock, queued.id);
  const seventh = await knock.users.get(identifyIds[7]);
  return { queued, finished, seventh };
}

async function deleteUsers(knock, { deleteIds }) {
  for (const id of deleteIds) {
    await knock.users.update(id, { name: 'Doomed' });
  }
  const finished = await waitForOperation(knock, (await knock.users.bulk.delete({ user_ids: deleteIds })).id);
  const afterwards = await Promise.all(deleteIds.map((id) => attempt(knock.users.get(id))));
  return { finished, afterwards };
}

async function setObjects(knock, { setCollection }) {
  const objects = Array.from({ length: 19 }, (_, rank) => ({ id: `p${rank}`, name: `Project ${rank}`, rank }));
  objects.push({ id: 'bad#id', name: 'Refused' });
  const queued = await knock.objects.bulk.set(setCollection, { objects });
  const finished = await waitForOperation(knock, queued.id);
  const seventh = await knock.objects.get(setCollection, 'p7');
  return { queued, finished, seventh };
}

async function deleteObjects(knock, { deleteCollection }) {
  const ids = ['p1', 'p2', 'p3'];
  for (const id of ids) {
    await knock.objects.set(deleteCollection, id, { name: 'Doomed' });
  }
  const queued = await knock.objects.bulk.delete(deleteCollection, { object_ids: ids });
  const finished = await waitForOperation(knock, queued.id);
  const left = await collect(knock.objects.list(deleteCollection));
  return { finished, left };
}

export default async function (input) {
  const knock = knockClient();
  const [usersIdentify, usersDelete, objectsSet, objectsDelete] = await Promise.all(
    [identifyUsers, deleteUsers, setObjects, deleteObjects].map((flow) => flow(knock, input)),
  );
  return { usersIdentify, usersDelete, objectsSet, objectsDelete };
}
