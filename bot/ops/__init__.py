"""What a clinic's admin runs to keep the bot healthy: ``doctor`` (is the configuration right,
against Slack too), ``backup`` / ``restore``, and ``purge`` (retention). The CLI
(``bot.cli``) adds their commands through ``bot.ops.commands``."""
