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
