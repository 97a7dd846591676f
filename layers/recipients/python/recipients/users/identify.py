"""Identify, the one user use case that writes channel data and preferences (and so loads their rules)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from recipients.identity.identify import plan_identify
from recipients.identity.merge import UpdatePlan
from recipients.kernel.errors import RecipientsError
from recipients.kernel.observability import logger, metrics
from recipients.users.models import User
from recipients.users.requests import IdentifyUserRequest
from recipients.users.store import get_user_store


def check_identify_user(user_id: str, request: IdentifyUserRequest) -> UpdatePlan:
    """Every rule an identify must pass before anything is written; what it will write."""
    if request.id is not None and request.id != user_id:
        raise RecipientsError.invalid_field("id", "must equal the user id in the path (ids never change)")
    return plan_identify(request)


def identify_user(user_id: str, plan: UpdatePlan) -> User:
    user = get_user_store().identify_user(user_id, plan)
    logger.info("user identified", extra={"user_id": user_id, "properties": sorted(plan.attributes)})
    metrics.add_metric(name="UsersIdentified", unit=MetricUnit.Count, value=1)
    return user
