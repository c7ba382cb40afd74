"""One module per ``capacity`` subcommand: ``HELP``, ``add_arguments(parser)``, ``run(args) -> int``."""
