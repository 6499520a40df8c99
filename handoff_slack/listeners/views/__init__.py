from __future__ import annotations

from slack_bolt import App

from handoff_slack.listeners.views import (
    assist_edit_submission,
    proposal_forms,
    queue_assign,
    survey_comment,
    transfer_forms,
    triage_form_submission,
)
from handoff_slack.services import Services


def register(app: App, services: Services) -> None:
    triage_form_submission.register(app, services)
    proposal_forms.register(app, services)
    assist_edit_submission.register(app, services)
    transfer_forms.register(app, services)
    survey_comment.register(app, services)
    queue_assign.register(app, services)
