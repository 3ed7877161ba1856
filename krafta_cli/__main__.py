"""`python -m krafta_cli` runs the same command as `krafta`."""

from krafta_cli.main import main

__all__: list[str] = []

if __name__ == "__main__":
    main()
