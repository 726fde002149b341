"""One module per CLI verb. Each defines ``add_parser(subparsers)`` (which calls
``set_defaults(func=run)``) and ``run(args) -> int``."""
