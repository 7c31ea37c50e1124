"""`python -m bot` is the same as the `makerlink` command."""

from bot.cli import main

main()
