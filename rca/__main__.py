"""`python -m rca` and the `rca` command."""

import gc


def run() -> None:
    """The command line, imported with the cyclic garbage collector paused: rca.cli and the
    command's libraries make objects that live as long as the process, which every collection
    during the imports would walk again. The command starts it again once they are loaded
    (rca.cli). Their dataclasses' methods come compiled from earlier runs (rca.generated_code)."""
    gc.disable()
    from rca.generated_code import install

    install()  # before the imports define their dataclasses
    from rca.cli import main

    main()


if __name__ == "__main__":
    run()
