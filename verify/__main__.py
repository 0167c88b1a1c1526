"""``python -m verify``: the same as the ``dspgd-verify`` console script."""
from verify.cli.app import entry_point

if __name__ == "__main__":
    entry_point()
