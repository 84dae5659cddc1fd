"""The policy file the command-line and end-to-end tests write: Great Agency in New York, Jamie
supervising Ana. Tests that need more of a team add lines to the end (``team`` is last)."""

POLICY_YAML = """clinic:
  name: Great Agency
  timezone: America/New_York
team:
  - {slack_id: U0JAMIE, role: supervisor, first_name: Jamie}
  - {slack_id: U0ANA, role: clinician, first_name: Ana, supervisor: U0JAMIE}
"""
