import pytest

from generator.naming import (
    camel_case,
    kebab_case,
    pascal_case,
    plural,
    singular,
    snake_case,
    words,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("HTTPServer", ["http", "server"]),
        ("getHTTPResponseCode", ["get", "http", "response", "code"]),
        ("Line Item", ["line", "item"]),
        ("lineItem", ["line", "item"]),
        ("line-item", ["line", "item"]),
        ("line_item", ["line", "item"]),
        ("  My  Service!! ", ["my", "service"]),
        ("OAuth2Token", ["o", "auth2", "token"]),
        ("Task2", ["task2"]),
        ("v2", ["v2"]),
        ("2fast", ["2", "fast"]),
        ("ABC", ["abc"]),
        ("Café API", ["cafe", "api"]),
        ("", []),
        ("--__--", []),
    ],
)
def test_words(value: str, expected: list[str]) -> None:
    assert words(value) == expected


@pytest.mark.parametrize(
    ("value", "snake", "kebab", "pascal", "camel"),
    [
        ("HTTPServer", "http_server", "http-server", "HttpServer", "httpServer"),
        ("already_snake", "already_snake", "already-snake", "AlreadySnake", "alreadySnake"),
        ("already-kebab", "already_kebab", "already-kebab", "AlreadyKebab", "alreadyKebab"),
        ("LineItem", "line_item", "line-item", "LineItem", "lineItem"),
        ("Task Service", "task_service", "task-service", "TaskService", "taskService"),
        ("Order2Invoice", "order2_invoice", "order2-invoice", "Order2Invoice", "order2Invoice"),
        (
            "XMLHttpRequest",
            "xml_http_request",
            "xml-http-request",
            "XmlHttpRequest",
            "xmlHttpRequest",
        ),
        ("Zoë's Orders", "zoe_s_orders", "zoe-s-orders", "ZoeSOrders", "zoeSOrders"),
        ("", "", "", "", ""),
    ],
)
def test_case_conversions(value: str, snake: str, kebab: str, pascal: str, camel: str) -> None:
    assert snake_case(value) == snake
    assert kebab_case(value) == kebab
    assert pascal_case(value) == pascal
    assert camel_case(value) == camel


@pytest.mark.parametrize(
    "value", ["http_server", "line-item", "TaskService", "orders2_invoices", "api_v2_client"]
)
def test_conversions_are_idempotent(value: str) -> None:
    for convert in (snake_case, kebab_case, pascal_case, camel_case):
        assert convert(convert(value)) == convert(value)
    assert snake_case(pascal_case(snake_case(value))) == snake_case(value)


@pytest.mark.parametrize(
    ("single", "many"),
    [
        ("category", "categories"),
        ("status", "statuses"),
        ("box", "boxes"),
        ("task", "tasks"),
        ("person", "people"),
        ("address", "addresses"),
        ("analysis", "analyses"),
        ("bus", "buses"),
        ("class", "classes"),
        ("order", "orders"),
        ("Order", "Orders"),
        ("LineItem", "LineItems"),
        ("line_item", "line_items"),
        ("line-item", "line-items"),
        ("OrderStatus", "OrderStatuses"),
        ("STATUS", "STATUSES"),
    ],
)
def test_plural_and_singular(single: str, many: str) -> None:
    assert plural(single) == many
    assert singular(many) == single


@pytest.mark.parametrize("value", ["task", "status", "analysis", "bus", "class", "LineItem"])
def test_singular_leaves_singular_names_alone(value: str) -> None:
    assert singular(value) == value


@pytest.mark.parametrize("value", ["", "123", "--"])
def test_names_without_letters_are_not_inflected(value: str) -> None:
    assert plural(value) == value
    assert singular(value) == value
