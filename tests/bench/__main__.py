"""`scripts/bench`: measurements printed side by side in one run, never asserted on."""

from . import translation


def main() -> None:
    print("Translation of large requests (parse + translate + serialise):")
    for line in translation.run():
        print("  " + line)


if __name__ == "__main__":
    main()
