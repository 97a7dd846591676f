"""What a tenant body writes, shared by set, bulk set and inline tenants (a trigger's, a schedule's).

Apart from the use cases (tenants/service.py), so that checking a bulk or inline tenant does not
load what get, list and delete need.
"""

from __future__ import annotations

from recipients.identity.edits import merge_edit
from recipients.identity.identify import plan_identify
from recipients.identity.merge import TENANT_PREFERENCE_SET, TENANT_SETTINGS_PREFIX, UpdatePlan
from recipients.identity.models import RecipientRef
from recipients.kernel import jsontext
from recipients.kernel.rules import TENANTS_COLLECTION
from recipients.preferences.rules import checked_set
from recipients.tenants.models import SetTenantRequest

BRANDING = TENANT_SETTINGS_PREFIX + "branding"
PREFERENCE_SET = TENANT_PREFERENCE_SET


def tenant_ref(tenant_id: str) -> RecipientRef:
    return RecipientRef(id=tenant_id, collection=TENANTS_COLLECTION)


def plan_tenant(request: SetTenantRequest) -> UpdatePlan:
    """What a tenant body writes: its properties as an object's, and its settings."""
    plan = plan_identify(request)
    attributes, edits = dict(plan.attributes), dict(plan.edits)
    if "settings" in request.model_fields_set:
        settings = request.settings
        if settings is None:  # settings: null clears them
            attributes.update({BRANDING: "null", PREFERENCE_SET: "null"})
        else:
            if "branding" in settings.model_fields_set:
                branding = settings.branding
                attributes[BRANDING] = jsontext.dumps(
                    None if branding is None else branding.model_dump(exclude_unset=True)
                )
            if "preference_set" in settings.model_fields_set:
                if settings.preference_set is None:
                    attributes[PREFERENCE_SET] = "null"
                else:
                    checked = checked_set(settings.preference_set, merge_by_default=True)
                    if checked.merge:
                        edits[PREFERENCE_SET] = [merge_edit(checked.body)]
                    else:
                        attributes[PREFERENCE_SET] = jsontext.dumps(checked.body)
    return UpdatePlan(attributes, edits)
