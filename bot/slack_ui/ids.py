"""Action ids and callback ids: the one place builders and handlers take them from."""

# Run-ins (`runin CODE`)
RUNIN_MODAL = "runin_modal"  # callback id of the modal that documents a run-in
RUNIN_SAVED = "runin_saved"  # callback id of the confirmation it turns into
RUNIN_DETAILS = "runin_details"  # callback id of the read-only details modal
RUNIN_VIEW = "runin_view"  # button on the follow-up reminder: open the details modal
RUNIN_DONE = "runin_done"  # button on the follow-up reminder: the clinician asked the client

# App Home
HOME_VIEW = "home"  # callback id of the Home tab view
HOME_PENDING_REFRESH = "home_refresh"  # button on Home: rebuild it now

# The guidance card (`/contact-check CODE`)
CARD_SHOW_DETAILS = "card_show_details"  # button: show the card again with its details
CARD_RECORD_CONSENT = "card_record_consent"  # button: open the consent modal for this client

# The consent modal (`consent CODE`)
CONSENT_MODAL = "consent_modal"  # callback id; private_metadata carries the client code only
CONSENT_SAVED = "consent_saved"  # callback id of the confirmation the modal turns into

# Call-back reminders (`missed`)
CALLBACK_RETURNED = "callback_returned"  # button: the call back was made

# No-show chase (`appt` / `noshow`)
CHASE_ARRIVED = "chase_arrived"  # button: the client has arrived
CHASE_NO_SHOW = "chase_no_show"  # button: record a no-show
CHASE_NOTE_TIME = "chase_note_time"  # button on the no-show reply: the message was left at…
NOTE_TIME_MODAL = "note_time_modal"  # callback id: day and time the message was left
NOTE_TIME_SHOWN = "note_time_shown"  # callback id of the note it turns into

# Both reminders: the treating team's details (name, number to use) in a modal, never in the DM
REMINDER_DETAILS = "reminder_details"  # button value: "callback:<duty id>" / "appointment:<id>"
REMINDER_DETAILS_MODAL = "reminder_details_modal"  # callback id of that modal

# Approvals (closure warnings, phone coaching)
APPROVAL_APPROVE = "approval_approve"  # button: approve
APPROVAL_DENY = "approval_deny"  # button: deny (opens the deny-reason modal)
APPROVAL_DENY_MODAL = "approval_deny_modal"  # callback id of the deny-reason modal
APPROVAL_SHOW_REASON = "approval_show_reason"  # button on a denial: open its reason (modal)
