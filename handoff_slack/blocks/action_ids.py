"""Action and callback IDs of every interactive element, shared by the builders and the listeners."""

TALK_TO_AGENT = "handoff.talk_to_agent"
CANCEL_WAITING = "handoff.cancel_waiting"
CLAIM_TICKET = "handoff.claim_ticket"
CLOSE_TICKET = "handoff.close_ticket"
WATCH_CONVERSATION = "handoff.watch"  # in /handoff-watch; value: the conversation's ID
TAKE_OVER = "handoff.take_over"  # on a watch's message; value: the watch's ticket ID
STOP_WATCHING = "handoff.stop_watching"

# The bot's buttons in a customer's DM. Slack wants action IDs unique within a block, so a
# message with several buttons of one kind numbers them: "handoff.bot.scenario:2".
BOT_SCENARIO = "handoff.bot.scenario"
BOT_CHOICE = "handoff.bot.choice"
BOT_SKIP = "handoff.bot.skip"
BOT_FORM = "handoff.bot.form"
BOT_NO_THANKS = "handoff.bot.no_thanks"
BOT_MENU = "handoff.bot.menu"

TRIAGE_FORM = "handoff.triage_form"  # the modal's callback ID
TRIAGE_ANSWER = "answer"  # the action ID of each question's input; its block ID is the question ID

# Supervised mode: the proposal's buttons (value: the ticket ID), and its modals.
PROPOSAL_APPROVE = "handoff.proposal.approve"
PROPOSAL_EDIT = "handoff.proposal.edit"
PROPOSAL_REJECT = "handoff.proposal.reject"
PROPOSAL_EDIT_FORM = "handoff.proposal_edit"  # the Edit modal's callback ID (private_metadata: the ticket ID)
PROPOSAL_REJECT_FORM = "handoff.proposal_reject"  # the Reject modal's
PROPOSAL_TEXT = "text"  # the Edit modal's input: block and action ID
PROPOSAL_REJECT_CHOICE = "choice"  # the Reject modal's radio buttons: block and action ID
REJECT_TO_QUEUE = "queue"
REJECT_AND_TAKE = "take"
# Agent assist: a suggested reply's buttons in a ticket's thread (value: the suggestion's ID), and the Edit modal.
ASSIST_SEND = "handoff.assist.send"
ASSIST_EDIT = "handoff.assist.edit"
ASSIST_EDIT_FORM = "handoff.assist.edit_form"  # the modal's callback ID
ASSIST_REPLY = "reply"  # the modal's text input: its block ID and action ID
# Transfer and release (core.transfers): buttons on the ticket message (value: the ticket ID), the
# offer's buttons in its thread (value: the offer's ID), and the modals (private_metadata: the ticket ID).
TRANSFER_TICKET = "handoff.transfer"  # owner: offer to an agent; admin: assign (also on a waiting ticket)
RELEASE_TICKET = "handoff.release"
TRANSFER_ACCEPT = "handoff.transfer.accept"
TRANSFER_DECLINE = "handoff.transfer.decline"
TRANSFER_FORM = "handoff.transfer_form"  # the modal's callback ID
RELEASE_FORM = "handoff.release_form"
TRANSFER_TARGET = "target"  # the users_select: its block and action ID
TRANSFER_NOTE = "note"  # the note for the next agent: its block and action ID
# Routing (core.routing): an offer's buttons in the agent's DM (value: the offer's ID).
OFFER_ACCEPT = "handoff.offer.accept"
OFFER_DECLINE = "handoff.offer.decline"
# Satisfaction (core.satisfaction): the survey's 1-5 buttons at the customer's door ("handoff.survey.rate:3";
# value: "<survey ID>:<rating>"), "Add a comment" (value: the survey's ID), and its modal
# (private_metadata: the survey's ID, and the thread's door when pressed in one).
SURVEY_RATE = "handoff.survey.rate"
SURVEY_COMMENT = "handoff.survey.comment"
SURVEY_COMMENT_FORM = "handoff.survey.comment_form"
SURVEY_COMMENT_TEXT = "comment"  # the modal's text input: its block ID and action ID
# /handoff-queue's page (value: the command's options, listeners/commands/queue_arguments.carried;
# a line's buttons: the ticket ID, a space, then the options), and the Assign modal.
QUEUE_CLAIM = "handoff.queue.claim"
QUEUE_ASSIGN = "handoff.queue.assign"
QUEUE_PREVIOUS = "handoff.queue.previous"
QUEUE_NEXT = "handoff.queue.next"
QUEUE_REFRESH = "handoff.queue.refresh"
QUEUE_ASSIGN_FORM = "handoff.queue.assign_form"  # the modal's callback ID
QUEUE_ASSIGN_TARGET = "target"  # its users_select: block and action ID
# Waiting timers: the waiting timeout's offer at the customer's door (core.waiting_offers; value: the
# offer's ID), and Snooze on an idle conversation's warning in the ticket's thread (core.idle_close;
# value: the warning's ID).
WAIT_KEEP = "handoff.wait.keep"
WAIT_LATER = "handoff.wait.later"
WAIT_CANCEL = "handoff.wait.cancel"
IDLE_SNOOZE = "handoff.idle.snooze"
