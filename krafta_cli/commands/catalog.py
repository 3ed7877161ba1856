"""`krafta catalog import|list`: the products and variants the server checks prices against."""

from typing import Annotated, Any

import typer

from krafta_cli import render
from krafta_cli.client import ValidationFailed
from krafta_cli.commands.options import FormatOption, JsonOption, ListJsonOption
from krafta_cli.errors_cli import InputError, fail
from krafta_cli.exit_codes import ExitCode
from krafta_cli.json_file import read_json_file
from krafta_cli.session import connect

__all__ = ["catalog_app"]

catalog_app = typer.Typer(help="The product catalog used for the price check.", no_args_is_help=True)


@catalog_app.command("import")
def import_(
    file: Annotated[
        str, typer.Argument(metavar="FILE.json", help='{"products": [...]} or a list (`-` = stdin).')
    ],
    as_json: JsonOption = False,
) -> None:
    """Upsert products and variants by id (ADMIN).

    Example: krafta catalog import catalog.json
    """
    data: Any = read_json_file(file, what="catalog file")
    if isinstance(data, list):
        data = {"products": data}
    if not isinstance(data, dict) or not isinstance(data.get("products"), list):
        raise InputError(f'catalog file {file} must hold {{"products": [...]}} or a list of products')
    with connect() as client:
        try:
            result = client.import_catalog(data)
        except ValidationFailed as exc:
            detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
            fail(f"invalid catalog in {file}: {detail}", ExitCode.INVALID)
    if as_json:
        render.print_json(result)
    else:
        render.print_line(f"Imported {result.get('products')} products, {result.get('variants')} variants.")


@catalog_app.command("list")
def list_catalog(fmt: FormatOption = None, as_json: ListJsonOption = False) -> None:
    """List products and their variants with base prices (piped: tab-separated, one line per variant).

    Example: krafta catalog list
    """
    output = render.default_format(fmt, as_json=as_json)
    with connect() as client:
        products = client.list_catalog()
    render.print_catalog(products, output)
