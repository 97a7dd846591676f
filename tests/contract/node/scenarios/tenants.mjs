// tenants.set / get / list (filters) / delete, tenants.bulk.set / bulk.delete polled with bulkOperations.get,
// a user's preferences read for a tenant, and workflows.trigger with an inline tenant.
import { attempt, collect, knockClient, waitForOperation } from '../support.mjs';

const BRANDING = { primary_color: '#DF1A22', logo_url: 'https://example.com/logo.png' };

async function oneTenant(knock, { tenantId, tenantName, userId }) {
  const first = await knock.tenants.set(tenantId, {
    name: tenantName,
    plan: 'enterprise',
    settings: { branding: BRANDING, preference_set: { channel_types: { email: false, sms: false } } },
  });
  const merged = await knock.tenants.set(tenantId, {
    settings: { preference_set: { workflows: { digest: false } } },
  });
  const fetched = await knock.tenants.get(tenantId);
  const resolvedFully = await knock.tenants.get(tenantId, { resolve_full_preference_settings: true });
  const byId = await collect(knock.tenants.list({ tenant_id: tenantId }));
  const byName = await collect(knock.tenants.list({ name: tenantName, page_size: 1 }));

  await knock.users.setPreferences(userId, tenantId, { channel_types: { sms: true } });
  const forTenant = await knock.users.getPreferences(userId, 'default', { tenant: tenantId });

  await knock.tenants.delete(tenantId);
  const afterDelete = await attempt(knock.tenants.get(tenantId));
  return { first, merged, fetched, resolvedFully, byId, byName, forTenant, afterDelete };
}

async function inBulk(knock, { bulkIds }) {
  const [plain, named] = bulkIds;
  const setQueued = await knock.tenants.bulk.set({
    tenants: [plain, { id: named, name: 'Bulk Co', settings: { branding: BRANDING } }, { id: 'bad#id' }],
  });
  const setFinished = await waitForOperation(knock, setQueued.id);
  const written = await Promise.all(bulkIds.map((id) => knock.tenants.get(id)));
  const deleteQueued = await knock.tenants.bulk.delete({ tenant_ids: bulkIds });
  const deleteFinished = await waitForOperation(knock, deleteQueued.id);
  const afterwards = await Promise.all(bulkIds.map((id) => attempt(knock.tenants.get(id))));
  return { setQueued, setFinished, written, deleteFinished, afterwards };
}

async function triggered(knock, { triggerUserId, inlineTenantId }) {
  const answer = await knock.workflows.trigger('new-comment', {
    recipients: [{ id: triggerUserId, name: 'Trig' }],
    tenant: { id: inlineTenantId, name: 'Inline Co', settings: { branding: BRANDING } },
  });
  const tenant = await knock.tenants.get(inlineTenantId);
  await knock.tenants.delete(inlineTenantId);
  return { answer, tenant };
}

export default async function (input) {
  const knock = knockClient();
  const [single, bulk, trigger] = await Promise.all(
    [oneTenant, inBulk, triggered].map((flow) => flow(knock, input)),
  );
  return { single, bulk, trigger };
}
