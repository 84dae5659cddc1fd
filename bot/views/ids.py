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
