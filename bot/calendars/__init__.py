"""iCalendar feeds of appointments (issue 14): fetch (``fetch``), parse over a window (``parse``),
map events to client codes (``mapping``). Applying them is ``bot.services.calendars``; the job
and the CLI are ``handlers.calendars``."""
