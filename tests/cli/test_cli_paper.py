"""`krafta orders ticket|manifest` and `krafta scan`, run as commands against a live server."""

from __future__ import annotations

import csv
import io
import os
import pty
import select
import signal
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from tests.cli.conftest import Krafta, assert_error
from tests.cli.test_cli_orders import api_order, new_order
from tests.pdf_pages import decode_pages, page_sizes_mm
from tests.servers import Server, krafta_exe

READY = ("CONFIRMED", "IN_PRODUCTION", "READY")


@pytest.fixture(autouse=True)
def _in_a_folder_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`krafta` runs in this process: files it writes by default land in the test's own folder."""
    monkeypatch.chdir(tmp_path)


def _status(server: Server, number: str) -> str:
    return api_order(server, number, server.admin_token)["status"]


# ------------------------------------------------------------------ tickets


def test_tickets_go_to_a_dated_file_that_is_never_replaced(
    taller: Krafta, sqlite_server: Server, tmp_path: Path
) -> None:
    numbers = [new_order(sqlite_server)["orderNumber"] for _ in range(2)]
    first_name = tmp_path / f"tickets-{date.today().isoformat()}.pdf"

    first = taller("orders", "ticket", *numbers)
    again = taller("orders", "ticket", numbers[0])

    assert first.code == 0, first
    assert first.out == f"2 tickets → {first_name}\n"
    assert [p.code128 for p in decode_pages(first_name.read_bytes(), 203)] == [[n] for n in numbers]
    assert again.out == f"1 ticket → {tmp_path / f'tickets-{date.today().isoformat()}-2.pdf'}\n", again
    assert len(decode_pages(first_name.read_bytes(), 203)) == 2


def test_numbers_from_stdin_on_a_roll_to_a_named_file(
    admin: Krafta, sqlite_server: Server, tmp_path: Path
) -> None:
    numbers = [new_order(sqlite_server)["orderNumber"] for _ in range(2)]
    listed = "".join(f"{n}\tREPORTED\tsomewhere\n" for n in numbers)  # as `krafta orders list` pipes them

    run = admin("orders", "ticket", "-", "--size", "80mm", "-o", "roll.pdf", input=listed)

    assert run.code == 0, run
    pdf = (tmp_path / "roll.pdf").read_bytes()
    assert [w for w, _ in page_sizes_mm(pdf)] == [80.0, 80.0]
    assert [p.code128 for p in decode_pages(pdf, 203)] == [[n] for n in numbers]


def test_output_dash_streams_the_pdf(admin: Krafta, sqlite_server: Server, tmp_path: Path) -> None:
    number = new_order(sqlite_server)["orderNumber"]

    proc = subprocess.run(
        [krafta_exe(), "orders", "ticket", number, "--output", "-"],
        capture_output=True,
        env=admin.env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"%PDF-")
    assert [p.code128 for p in decode_pages(proc.stdout, 203)] == [[number]]
    assert list(tmp_path.iterdir()) == []


def _fake_lp(folder: Path) -> Path:
    """An `lp` that records what it was asked to print and answers as CUPS does."""
    folder.mkdir()
    lp = folder / "lp"
    lp.write_text(
        f'#!/bin/sh\necho "$@" >> {folder / "printed"}\necho "request id is shop-printer-7 (1 file(s))"\n'
    )
    lp.chmod(0o755)
    return folder


def test_print_sends_the_file_to_lp(admin: Krafta, sqlite_server: Server, tmp_path: Path) -> None:
    bin_dir = _fake_lp(tmp_path / "bin")
    number = new_order(sqlite_server)["orderNumber"]
    work = tmp_path / "work"
    work.mkdir()

    os.chdir(work)
    run = admin("orders", "ticket", number, "--print", PATH=f"{bin_dir}:{os.environ['PATH']}")

    written = work / f"tickets-{date.today().isoformat()}.pdf"
    assert run.code == 0, run
    assert run.out.splitlines() == [
        f"1 ticket → {written}",
        "sent to the printer: request id is shop-printer-7 (1 file(s))",
    ]
    assert (bin_dir / "printed").read_text() == f"{written}\n"


def test_print_without_lp_says_so_and_keeps_the_file(
    admin: Krafta, sqlite_server: Server, tmp_path: Path
) -> None:
    number = new_order(sqlite_server)["orderNumber"]
    no_lp = tmp_path / "empty-bin"
    no_lp.mkdir()

    run = admin("orders", "ticket", number, "--print", PATH=str(no_lp))

    assert run.code == 1, run
    assert "not printed: this machine has no `lp`" in run.err
    assert (tmp_path / f"tickets-{date.today().isoformat()}.pdf").exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ((), "say which tickets"),
        (("KRFT-000001", "--status", "READY"), "not both"),
        (("KRFT-000001", "--size", "a4"), "use a6 or 80mm"),
        (("--status", "SHIPPED"), "SHIPPED"),
    ],
)
def test_ticket_usage_errors(admin: Krafta, tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    run = admin("orders", "ticket", *args)

    assert run.code == 2, run
    assert fragment in run.err
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_number_prints_nothing_and_exits_4(admin: Krafta, tmp_path: Path) -> None:
    assert_error(admin("orders", "ticket", "KRFT-999999"), 4, "KRFT-999999")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ recipient


def test_show_says_who_receives_the_parcel_when_the_order_does(admin: Krafta, sqlite_server: Server) -> None:
    told = new_order(
        sqlite_server,
        recipientName="Ana Gómez",
        recipientPhone="0414 555 0199",
        recipientIdNumber="V-9876543",
    )
    untold = new_order(sqlite_server)

    shown = admin("orders", "show", told["orderNumber"])
    bare = admin("orders", "show", untold["orderNumber"])

    assert shown.code == 0, shown
    for line in ("Recipient: Ana Gómez", "Phone: 0414 555 0199", "ID number: V-9876543"):
        assert line in shown.out, shown
    assert "Recipient" not in bare.out, bare


# ------------------------------------------------------------------ manifest


def test_manifest_csv_of_today_for_one_courier(admin: Krafta, sqlite_server: Server, tmp_path: Path) -> None:
    courier = f"Zoom{os.getpid()}"
    order = new_order(sqlite_server, *READY)
    with sqlite_server.client(sqlite_server.admin_token) as http:
        moved = http.put(
            "/api/orders",
            json={
                "orderId": order["id"],
                "status": "HANDED_TO_DELIVERY",
                "courier": courier,
                "trackingNumber": "Z-9",
            },
        )
    assert moved.status_code == 200, moved.text

    run = admin("orders", "manifest", "--courier", courier, "--csv")

    [written] = list(tmp_path.iterdir())
    assert run.code == 0, run
    assert run.out == f"manifest → {written}\n"
    assert written.name.startswith("manifest-") and written.suffix == ".csv"
    rows = list(csv.DictReader(io.StringIO(written.read_text(encoding="utf-8-sig"))))
    assert [(r["Order"], r["Tracking"], r["Courier"]) for r in rows] == [
        (order["orderNumber"], "Z-9", courier)
    ]


def test_manifest_of_another_day_and_a_bad_date(admin: Krafta, tmp_path: Path) -> None:
    run = admin("orders", "manifest", "--date", "2020-01-02", "-o", "old.pdf")
    bad = admin("orders", "manifest", "--date", "02/01/2020")

    assert run.code == 0, run
    assert (tmp_path / "old.pdf").read_bytes().startswith(b"%PDF-")
    assert bad.code == 2 and "use YYYY-MM-DD or today" in bad.err, bad


# ------------------------------------------------------------------ scan station


def test_a_station_fed_from_stdin_moves_each_order_once(taller: Krafta, sqlite_server: Server) -> None:
    orders = [new_order(sqlite_server, "CONFIRMED") for _ in range(2)]
    a, b = (o["orderNumber"] for o in orders)
    # The bare digits of a number typed at the station are the same order (issue 19).
    scans = [a, f"{b.lower()}|1x Franela blanca|RUSH", "", a.removeprefix("KRFT-")]

    run = taller("scan", input="\n".join(scans) + "\n")

    assert run.code == 0, run
    assert run.out.splitlines() == [
        f"✓ {a}: CONFIRMED → IN_PRODUCTION",
        f"✓ {b}: CONFIRMED → IN_PRODUCTION",
        f"✗ {a}: already moved to IN_PRODUCTION by this station",
        "scan session: 2 moved, 1 refused",
    ]
    assert "\a" not in run.out  # no bell into a pipe
    assert [_status(sqlite_server, n) for n in (a, b)] == ["IN_PRODUCTION"] * 2


def test_a_station_says_why_it_will_not_move(taller: Krafta, sqlite_server: Server) -> None:
    reported = new_order(sqlite_server)["orderNumber"]
    confirmed = new_order(sqlite_server, "CONFIRMED")["orderNumber"]
    done = new_order(sqlite_server, *READY, "HANDED_TO_DELIVERY", "COMPLETED")["orderNumber"]

    run = taller("scan", "--to", "ready", input=f"{reported}\n{confirmed}\n{done}\nKRFT-999999\nhello\n")

    assert run.code == 0, run
    assert run.out.splitlines() == [
        f"✗ {reported}: REPORTED, it has no next step you may make, not READY",
        f"✗ {confirmed}: CONFIRMED, its next step is IN_PRODUCTION, not READY",
        f"✗ {done}: COMPLETED, it has no next step you may make, not READY",
        "✗ KRFT-999999: no such order",
        "✗ hello: no such order",
        "scan session: 0 moved, 5 refused",
    ]


def test_courier_scans_pair_each_parcel_with_its_own_tracking_number(
    taller: Krafta, sqlite_server: Server
) -> None:
    a, b, c = (new_order(sqlite_server, *READY)["orderNumber"] for _ in range(3))
    scans = [a, "MRW-111", b, b, "MRW-222", c]

    run = taller("scan", "--courier", "MRW", input="\n".join(scans) + "\n")

    assert run.code == 0, run
    assert run.out.splitlines() == [
        f"✓ {a}: READY → HANDED_TO_DELIVERY with MRW: scan its tracking number",
        f"✓ {a}: READY → HANDED_TO_DELIVERY (MRW · tracking MRW-111)",
        f"✓ {b}: READY → HANDED_TO_DELIVERY with MRW: scan its tracking number",
        f"✗ scanned again: scan {b}'s tracking number",
        f"✓ {b}: READY → HANDED_TO_DELIVERY (MRW · tracking MRW-222)",
        f"✓ {c}: READY → HANDED_TO_DELIVERY with MRW: scan its tracking number",
        f"✗ {c}: not handed over (no tracking number was scanned)",
        "scan session: 2 moved, 2 refused",
    ]
    delivery = {n: api_order(sqlite_server, n, sqlite_server.admin_token)["delivery"] for n in (a, b, c)}
    assert (delivery[a]["courier"], delivery[a]["trackingNumber"]) == ("MRW", "MRW-111")
    assert (delivery[b]["courier"], delivery[b]["trackingNumber"]) == ("MRW", "MRW-222")
    assert delivery[c] is None


def test_a_hand_over_without_a_courier_is_refused(taller: Krafta, sqlite_server: Server) -> None:
    ready = new_order(sqlite_server, *READY)["orderNumber"]

    run = taller("scan", input=f"{ready}\n")

    assert run.out.splitlines()[0] == (
        f"✗ {ready}: READY, and a hand-over needs a courier (start the station with --courier NAME)"
    )
    assert _status(sqlite_server, ready) == "READY"


def test_ctrl_c_ends_the_session_with_its_count_and_130(taller: Krafta, sqlite_server: Server) -> None:
    number = new_order(sqlite_server, "CONFIRMED")["orderNumber"]
    proc = subprocess.Popen(
        [krafta_exe(), "scan"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=taller.env(),
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"{number}\n")
    proc.stdin.flush()
    first = proc.stdout.readline()
    time.sleep(0.2)  # back in readline(), waiting for the next scan
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=30)

    assert first == f"✓ {number}: CONFIRMED → IN_PRODUCTION\n"
    assert rest == "scan session: 1 moved, 0 refused\n"
    assert proc.returncode == 130


def test_at_a_terminal_a_refusal_rings_the_bell_and_ctrl_d_ends(
    taller: Krafta, sqlite_server: Server
) -> None:
    number = new_order(sqlite_server, "CONFIRMED")["orderNumber"]
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [krafta_exe(), "scan"],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=taller.env(),
        close_fds=True,
    )
    os.close(slave)
    screen = b""
    try:
        for typed, wait_for in ((f"{number}\n", b"IN_PRODUCTION"), ("KRFT-999999\n", b"no such order")):
            os.write(master, typed.encode())
            deadline = time.monotonic() + 30
            while wait_for not in screen and time.monotonic() < deadline:
                if select.select([master], [], [], 0.1)[0]:
                    screen += os.read(master, 65536)
        os.write(master, b"\x04")  # Ctrl-D: end of input
        code = proc.wait(timeout=30)
        while select.select([master], [], [], 0.2)[0]:
            try:
                screen += os.read(master, 65536)
            except OSError:
                break
    finally:
        os.close(master)
    lines = screen.decode().replace("\r\n", "\n").splitlines()
    err = proc.stderr.read().decode() if proc.stderr else ""

    assert code == 0
    assert f"✓ {number}: CONFIRMED → IN_PRODUCTION" in lines
    assert "✗ KRFT-999999: no such order\a" in lines
    assert "scan session: 1 moved, 1 refused" in lines
    assert err.count("scan> ") == 3  # asked before each scan, and before the end of input
