"""``capacity fpe``: placeholder, being written."""
HELP = "fpe experiments (work in progress)"


def add_arguments(p):
    pass


def run(args):
    print("capacity fpe: not implemented yet")
    return 2
