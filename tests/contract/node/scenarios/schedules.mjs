// schedules.create with a user id and an inline user (and an inline tenant); schedules.list by workflow with
// the recipients filter, and its iterator over pages of one; schedules.update; schedules.delete;
// users.listSchedules and objects.listSchedules; schedules.bulk.create polled with bulkOperations.get until
// it has finished; and the error of a create with neither repeats nor scheduled_at.
import { attempt, collect, knockClient, waitForOperation } from '../support.mjs';

export default async function ({ workflow, adaId, bobId, projects }) {
  const knock = knockClient();
  const daily = [{ frequency: 'daily', hours: 9, minutes: 0 }];
  const summary = (schedule) => ({
    id: schedule.id,
    recipient: schedule.recipient.id,
    collection: schedule.recipient.collection ?? null,
    workflow: schedule.workflow,
    tenant: schedule.tenant ?? null,
    repeats: schedule.repeats.map(({ frequency, days, hours, minutes }) => ({ frequency, days, hours, minutes })),
    next: schedule.next_occurrence_at,
    data: schedule.data ?? null,
  });

  await knock.users.update(adaId, { name: 'Ada' });
  const created = await knock.schedules.create({
    workflow,
    recipients: [adaId, { id: bobId, timezone: 'Asia/Tokyo' }],
    repeats: daily,
    tenant: { id: 'node-sch-acme', name: 'Acme' },
  });
  const ids = created.map((schedule) => schedule.id);
  const paged = await collect(knock.schedules.list({ workflow, page_size: 1 }));
  const filtered = await knock.schedules.list({ workflow, recipients: [bobId] });
  const updated = await knock.schedules.update({
    schedule_ids: ids,
    repeats: [{ frequency: 'weekly', days: ['mon'], hours: 8, minutes: 15 }],
    data: { v: 2 },
  });
  const objectMade = await knock.schedules.create({
    workflow,
    recipients: [{ id: 'apollo', collection: projects, name: 'Apollo' }],
    scheduled_at: '2031-01-01T09:00:00Z',
  });
  const forUser = await collect(knock.users.listSchedules(bobId));
  const forObject = await collect(knock.objects.listSchedules(projects, 'apollo'));
  const deleted = await knock.schedules.delete({ schedule_ids: [ids[0]] });
  const afterDelete = await collect(knock.schedules.list({ workflow }));

  const bulkQueued = await knock.schedules.bulk.create({
    schedules: [
      { workflow, recipient: { id: adaId }, repeats: [{ frequency: 'hourly', minutes: 5 }] },
      { workflow, recipient: bobId },
    ],
  });
  const bulkFinished = await waitForOperation(knock, bulkQueued.id);
  const afterBulk = await collect(knock.users.listSchedules(adaId, { workflow }));
  const noTiming = await attempt(knock.schedules.create({ workflow, recipients: [adaId] }));

  return {
    created: created.map(summary),
    createdNames: created.map((schedule) => schedule.recipient.name ?? null),
    paged: paged.map(summary),
    filtered: filtered.entries.map(summary),
    updated: updated.map(summary),
    objectMade: objectMade.map(summary),
    forUser: forUser.map(summary),
    forObject: forObject.map(summary),
    deleted: deleted.map(summary),
    afterDelete: afterDelete.map(summary),
    bulkQueued,
    bulkFinished,
    afterBulk: afterBulk.map(summary),
    noTiming,
  };
}
