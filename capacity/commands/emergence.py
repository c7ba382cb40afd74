"""``capacity emergence``: placeholder, being written."""
HELP = "emergence experiments (work in progress)"


def add_arguments(p):
    pass


def run(args):
    print("capacity emergence: not implemented yet")
    return 2
