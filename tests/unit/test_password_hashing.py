"""The shipped password hash: Argon2id at argon2-cffi's default cost.

The suite's own processes hash cheaply (tests/conftest.py), so the shipped parameters are read in a
fresh interpreter, as `krafta serve` would hash.
"""

from __future__ import annotations

import subprocess
import sys


def test_a_server_process_hashes_with_argon2id_at_the_shipped_cost() -> None:
    code = (
        "from server.accounts.auth import hash_password, verify_password\n"
        "h = hash_password('correct horse')\n"
        "print(h)\n"
        "print(verify_password(h, 'correct horse'), verify_password(h, 'wrong horse'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    hashed, verdicts = out.splitlines()
    # 64 MiB, 3 passes, 4 lanes: RFC 9106's low-memory profile, argon2-cffi's default.
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verdicts == "True False"
