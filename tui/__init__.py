"""`krafta board`: the workshop's terminal board (Textual).

Kept import-free: `krafta_cli` imports `tui.app` only inside the `board` and `demo` commands,
so `krafta --help` never loads Textual. The board reaches the server only through
`krafta_cli.client.KraftaClient`.
"""

__all__: list[str] = []
