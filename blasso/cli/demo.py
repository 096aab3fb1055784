"""``blasso demo``: placeholder, replaced below in this commit series."""
NAME = "demo"
HELP = "run the paper's Fig. 2 instance end to end (grid LASSO, certificates)"


def add_arguments(p) -> None:
    pass


def run(args, out) -> dict:
    raise NotImplementedError("demo is being written")
