from tests.helpers import create_order
from tests.servers import Server


def test_created_order_is_listed(server: Server) -> None:
    created = create_order(server)
    with server.client(server.admin_token) as http:
        orders = http.get("/api/orders").json()["orders"]
    assert created["orderNumber"] in [o["orderNumber"] for o in orders]
