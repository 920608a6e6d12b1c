"""What every figure script shares: where a figure is written, and how it is called."""
import pathlib
import sys


def save(figure, directory, name):
    """Writes figures/NAME.png and figures/NAME.svg in a result directory; prints the PNG's path."""
    out = pathlib.Path(directory) / "figures"
    out.mkdir(exist_ok=True)
    for suffix in ("png", "svg"):
        figure.savefig(out / f"{name}.{suffix}", dpi=130)
    print(out / f"{name}.png")


def run(main, usage):
    """Calls main(RESULT_DIR) with the one argument, or exits with the script's usage."""
    if len(sys.argv) != 2:
        sys.exit(usage)
    main(sys.argv[1])
